"""vpnlearn.ipsec"""
