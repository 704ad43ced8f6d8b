"""vpnlearn: IPsec, IKE and AWS VPN from the packet up.

Importing the package is fast and does no I/O. Sub-packages:

- ``vpnlearn.crypto``: cipher-suite table, Diffie-Hellman groups, PRFs and prf+.
- ``vpnlearn.ipsec``: IPv4/UDP/ICMP, ESP, AH, Security Associations, SAD, SPD, anti-replay.
- ``vpnlearn.ike``: IKEv2 messages, key derivation and a sans-I/O initiator and responder.
- ``vpnlearn.aws``: models of the AWS VPN options that check AWS's documented rules.
- ``vpnlearn.viz``: diagrams, packet layouts and hexdumps drawn from the objects above.
- ``vpnlearn.quiz``: question banks, grading, widgets, progress.
"""

__version__ = "0.1.0"
