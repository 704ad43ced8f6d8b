"""vpnlearn.crypto"""
