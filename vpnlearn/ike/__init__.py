"""vpnlearn.ike"""
