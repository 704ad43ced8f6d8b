"""vpnlearn.viz"""
