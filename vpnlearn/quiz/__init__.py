"""vpnlearn.quiz"""
