"""vpnlearn.aws"""
