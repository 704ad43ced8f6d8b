# %% [markdown]
# A VPN needs only a handful of cryptographic tools: a cipher that hides the data, a check that
# catches any change to it, a way for two gateways to agree on a secret over an open network
# (Diffie-Hellman), and a function that stretches that one secret into all the keys they need (a
# PRF). This notebook uses each of them through the `vpnlearn` library, which calls the real
# primitives of the `cryptography` package: nothing here is home-made crypto.
#
# As always, the first cell turns on demo mode so you see the same bytes as everyone else.

# %%
from vpnlearn.course import setup

rng = setup("01-crypto-building-blocks")

# %% [markdown]
# ## The algorithm table
# IKEv2 and ESP negotiate algorithms by number (IANA's IKEv2 registry, RFC 7296 §3.3.2). The
# library keeps one table of them in `vpnlearn.crypto.suites`; everything else looks algorithms
# up there. Here are the encryption algorithms, with the sizes that decide what a packet looks like.

# %%
from vpnlearn.crypto import suites

print(f"{'name':<17} {'AEAD':<5} {'key':>4} {'salt':>4} {'IV':>3} {'ICV':>3}  AWS name")
for alg in suites.ENCRYPTION:
    print(f"{alg.name:<17} {'yes' if alg.aead else 'no':<5} {alg.key_bits:>4} {alg.salt_bytes:>4} "
          f"{alg.iv_bytes:>3} {alg.icv_bytes:>3}  {alg.aws_name or '-'}")

# %% [markdown]
# What to notice:
#
# - **AES-CBC** (RFC 3602) has no ICV of its own: it only hides data. It must be paired with an
#   integrity algorithm such as HMAC-SHA2-256-128 (RFC 4868).
# - **AES-GCM** (RFC 4106) and **ChaCha20-Poly1305** (RFC 7634) are **AEADs** (authenticated
#   encryption with associated data): one algorithm encrypts *and* produces the ICV. They take 4 extra
#   bytes of key material, the *salt*, which becomes part of every nonce.
# - AWS Site-to-Site VPN offers AES128, AES256, AES128-GCM-16 and AES256-GCM-16 for both phases, and
#   SHA1, SHA2-256, SHA2-384 and SHA2-512 for integrity
#   ([tunnel options](https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNTunnels.html)). It does not
#   offer ChaCha20-Poly1305 or the short 8- and 12-byte GCM ICVs.
#
# ## AEAD versus encrypt-then-MAC, on a real ESP packet
# Two Security Associations protect the same 40 bytes of data: one with AES-GCM, one with AES-CBC
# plus HMAC-SHA-256. `esp.seal` builds the ESP packet (RFC 4303 §2); the hexdump labels every byte.

# %%
from vpnlearn.ipsec import esp
from vpnlearn.ipsec.sa import SecurityAssociation
from vpnlearn.viz import hexdump

data = b"GET /payroll.csv HTTP/1.1\r\nHost: hr\r\n\r\n"     # 40 bytes of "inner packet"
gcm_sa = SecurityAssociation(0x10000001, encryption="aes128gcm16", mode="transport", rng=rng.child("gcm"))
cbc_sa = SecurityAssociation(0x10000002, encryption="aes128", integrity="sha256", mode="transport",
                             rng=rng.child("cbc"))

gcm_pkt = esp.seal(gcm_sa, data, next_header=6)
cbc_pkt = esp.seal(cbc_sa, data, next_header=6)
hexdump(gcm_pkt.data, gcm_pkt.spans(), "AES-GCM-16: ESP packet")

# %%
hexdump(cbc_pkt.data, cbc_pkt.spans(), "AES-CBC + HMAC-SHA-256-128: ESP packet")

# %%
for name, pkt in (("AES-GCM-16", gcm_pkt), ("AES-CBC + HMAC", cbc_pkt)):
    print(f"{name:<15} total {len(pkt.data):>3} bytes: header 8, IV {len(pkt.iv):>2}, "
          f"ciphertext {len(pkt.ciphertext):>2} (padding {pkt.pad_length:>2}), ICV {len(pkt.icv)}")

# %% [markdown]
# What to notice:
#
# - CBC encrypts whole 16-byte blocks, so 40 bytes + Pad Length + Next Header = 42 are padded to 48;
#   GCM works like a stream cipher and only needs ESP's 4-byte alignment (42 -> 44).
# - CBC's IV is 16 random bytes (RFC 3602 §3: it must be unpredictable). GCM's IV is 8 bytes and
#   only has to be **unique** under one key; this library uses the packet's sequence number, which
#   never repeats within an SA (see `help(esp)`).
# - CBC + HMAC is *encrypt-then-MAC*: the HMAC is computed over the ciphertext (RFC 4303 §3.3.2),
#   so the receiver checks it before decrypting anything. GCM does the same in one pass.
#
# Both detect tampering. The receiving side is the SA's `peer()`: same SPI and keys, inbound.

# %%
from vpnlearn.errors import AuthenticationError

for name, sa, pkt in (("AES-GCM-16", gcm_sa, gcm_pkt), ("AES-CBC + HMAC", cbc_sa, cbc_pkt)):
    receiver = sa.peer()
    print(f"{name}: untouched packet opens:", esp.open(receiver, pkt.data).payload == data)
    tampered = bytearray(pkt.data)
    tampered[30] ^= 0x01                      # one bit inside the ciphertext
    try:
        esp.open(sa.peer(), bytes(tampered))     # a fresh receiver that has not seen packet 1
    except AuthenticationError as err:
        print(f"{name}: one flipped bit -> {err}")

# %% [markdown]
# **Break it.** Encryption alone does not stop changes. An SA with AES-CBC and **no integrity**
# (`integrity="none"`, which RFC 8221 §5 forbids for real use; the library warns) lets an attacker
# who guesses the first bytes of the plaintext rewrite them: in CBC, flipping a bit of the IV flips
# the same bit of the first decrypted block, and nothing notices.

# %%
import warnings

from vpnlearn.ipsec.sa import WeakAlgorithmWarning

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", WeakAlgorithmWarning)
    naked_sa = SecurityAssociation(0x10000003, encryption="aes128", integrity="none", mode="transport",
                                   rng=rng.child("naked"))
print("library warning:", caught[0].message)

pkt = esp.seal(naked_sa, data, next_header=6)
guess, wanted = b"payroll", b"bonuses"                   # same length: the attacker edits in place
forged = bytearray(pkt.data)
iv_at = 8                                                # the IV follows SPI and Sequence Number
for i, (g, w) in enumerate(zip(guess, wanted, strict=True)):
    forged[iv_at + 5 + i] ^= g ^ w                       # "payroll" starts at byte 5 of the data
print("receiver decrypts:", esp.open(naked_sa.peer(), bytes(forged)).payload[:27])

# %% [markdown]
# The attacker never learned the key, yet the receiver got `bonuses.csv`, with no error. That is
# why ESP always pairs CBC with an HMAC, and why AEADs exist.
#
# ## Diffie-Hellman: agreeing on a secret in public
# IKE's first exchange carries each side's public DH value in a KE payload (RFC 7296 §3.4). Each
# side combines its own private value with the other's public value and both get the same shared
# secret g^ir, which an eavesdropper who saw both public values cannot compute.
#
# `vpnlearn.crypto.dh` has every group in the table. Three kinds are run here: a classic MODP group
# (14, 2048-bit, RFC 3526), an elliptic curve (19, P-256, RFC 5903) and Curve25519 (31, RFC 8031).

# %%
from vpnlearn.crypto import dh

lines = []
for number in (14, 19, 31):
    group = dh.group(number)
    alice = group.generate(rng.child(f"dh-{number}-alice"))     # the initiator's private value
    bob = group.generate(rng.child(f"dh-{number}-bob"))         # the responder's
    secret_a = alice.exchange(bob.public_bytes())
    secret_b = bob.exchange(alice.public_bytes())
    info = group.info
    lines.append(f"group {number:>2} {info.name:<10} public value {len(alice.public_bytes()):>3} bytes, "
                 f"shared secret {len(secret_a):>3} bytes {secret_a[:6].hex()}...  "
                 f"equal: {secret_a == secret_b}{'  (weak)' if info.weak else ''}")
print("\n".join(lines))

# %% [markdown]
# What to notice: the elliptic-curve groups are *stronger* than the 2048-bit MODP group (about 128
# bits of security against 112) with far smaller public values (64 and 32 bytes against 256), which
# is why group 19 or Curve25519 is a good default.
# Groups 2, 5 and 22-24 are still offered by AWS (group 5 in Phase 2 only, see the
# [tunnel options](https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNTunnels.html)) but the table
# flags them weak:

# %%
for g in suites.DH_GROUPS:
    if g.weak:
        aws = "yes" if g.aws_phase1 else "no"
        print(f"group {g.number:>2} {g.name:<12} AWS phase 1: {aws:<3}  {g.weak_reason}")

# %% [markdown]
# **Try it.** Change `(14, 19, 31)` to `(2, 15, 20)` and run the cell again. Group 15 (3072-bit)
# has a 384-byte public value; compare its speed with the curves.
#
# **Break it.** A receiver must check the public value it gets before using it. Here a peer sends a
# P-256 point in the common SEC1 format (a `0x04` byte, then x and y), which IKEv2 does not use, and
# then a MODP value of 1, which would make the shared secret 1 whatever the private values are.

# %%
from vpnlearn.errors import CryptoError

p256 = dh.group(19)
mine = p256.generate(rng.child("break-19"))
sec1 = b"\x04" + p256.generate(rng.child("break-19-peer")).public_bytes()
for group, bad in ((p256, sec1), (dh.group(14), (1).to_bytes(256, "big"))):
    try:
        group.validate_public(bad)
    except CryptoError as err:
        print("rejected:", err)

# %% [markdown]
# ## PRFs and prf+: one secret, many keys
# IKEv2's PRF is HMAC with a hash (RFC 7296 §2.13, RFC 4868). The function **prf+** feeds the PRF
# its own output plus a counter to make as many bytes as needed:
#
#     prf+ (K,S) = T1 | T2 | T3 | ...    with  T1 = prf(K, S | 0x01),  T2 = prf(K, T1 | S | 0x02) ...
#
# When IKE creates a Child SA it takes KEYMAT = prf+(SK_d, Ni | Nr) and cuts it into the ESP keys,
# first both keys for initiator-to-responder traffic, then those for the other direction
# (RFC 7296 §2.17). `SK_d` and the nonces below are stand-ins drawn from the demo randomness;
# notebook 04 derives the real ones in an IKE exchange.

# %%
from vpnlearn.crypto import prf

sk_d = rng.child("sk_d").random_bytes(32)
ni, nr = rng.child("Ni").random_bytes(32), rng.child("Nr").random_bytes(32)

suite = suites.encryption("aes128gcm16")
per_direction = suite.keymat_bytes                     # 16-byte key + 4-byte salt
keymat = prf.prf_plus("prfsha256", sk_d, ni + nr, 2 * per_direction)
print("one PRF output:", len(prf.prf("prfsha256", sk_d, ni + nr + b"\x01")), "bytes")
print("T1 is the first block of prf+:", keymat[:32] == prf.prf("prfsha256", sk_d, ni + nr + b"\x01"))
print(f"KEYMAT: {len(keymat)} bytes = 2 x ({suite.key_bytes}-byte key + {suite.salt_bytes}-byte salt)")

i_to_r = SecurityAssociation(0xC0DE0001, encryption=suite, enc_key=keymat[:per_direction],
                             mode="tunnel", tunnel_src="203.0.113.10", tunnel_dst="198.51.100.20")
r_to_i = SecurityAssociation(0xC0DE0002, encryption=suite, enc_key=keymat[per_direction:],
                             mode="tunnel", tunnel_src="198.51.100.20", tunnel_dst="203.0.113.10")
print("initiator -> responder key:", i_to_r.enc_key[:16].hex(), " salt:", i_to_r.enc_key[16:].hex())
print("responder -> initiator key:", r_to_i.enc_key[:16].hex(), " salt:", r_to_i.enc_key[16:].hex())

# %% [markdown]
# Both gateways run the same prf+ on the same inputs, so both get these keys without ever sending
# them. **Try it.** Change `"aes128gcm16"` to `"aes256gcm16"`: KEYMAT grows to 72 bytes.
#
# **Break it.** prf+'s counter is one byte, so it can make at most 255 blocks:

# %%
from vpnlearn.errors import ConfigError

try:
    prf.prf_plus("prfsha256", sk_d, ni + nr, 10_000)
except ConfigError as err:
    print("refused:", err)

# %% [markdown]
# ## Why a GCM nonce must never repeat
# AES-GCM encrypts by XOR-ing the data with a keystream made from the key and the 12-byte nonce
# (salt || IV). The same key and nonce give the same keystream. So if two packets are ever sent
# with one key and one nonce, XOR-ing the two ciphertexts cancels the keystream and leaves the XOR
# of the two plaintexts, with no key needed (RFC 4106 §3.1 demands that the IV never repeat for
# this reason; the forgery it also allows is not shown here).
#
# Here is that mistake with `cryptography`'s AESGCM directly: two messages, one key, one nonce.

# %%
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

key = rng.child("gcm-reuse-key").random_bytes(16)
nonce = rng.child("gcm-reuse-nonce").random_bytes(12)
m1 = b"transfer 100 EUR to account 1111"
m2 = b"the vault code is 7-3-9-1-5-0-2!"
c1 = AESGCM(key).encrypt(nonce, m1, None)[:-16]          # drop the 16-byte tag, keep the ciphertext
c2 = AESGCM(key).encrypt(nonce, m2, None)[:-16]


def xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


print("c1 XOR c2 == m1 XOR m2:", xor(c1, c2) == xor(m1, m2))
print("an eavesdropper who knows m1 reads m2:", xor(xor(c1, c2), m1))

# %% [markdown]
# ESP avoids this by construction in this library: the IV of each packet is its sequence number,
# which the SA never reuses (and the SA must be rekeyed before the counter would wrap, RFC 4303
# §3.3.3). Three packets on one SA, three different IVs:

# %%
for _ in range(3):
    p = esp.seal(gcm_sa, data, next_header=6)
    print(f"sequence number {p.seq}: IV {p.iv.hex()}")

# %% [markdown]
# **Try it.** In the AESGCM cell, give the second message its own nonce
# (`rng.child("another").random_bytes(12)`): the XOR no longer equals `m1 XOR m2`.
#
# ## Exercise: how much key material does an ESP SA need?
# For each ESP algorithm choice below, how many bytes of KEYMAT does **one direction** take?
# Remember the AEAD salt, and that CBC needs a separate HMAC key (RFC 4868 §2.1.1: as long as the
# hash's output). Replace each `None` with a number, then run the check.

# %%
my_keymat_bytes = {
    "aes128gcm16": None,
    "aes256gcm16": None,
    "aes256-sha256": None,        # AES-256-CBC with HMAC-SHA-256-128
}

# %%
def check_keymat(answers: dict) -> None:
    """Compare each answer with what the suite table says an SA of that kind needs."""
    right = 0
    for name, answer in answers.items():
        proposal = suites.parse_proposal(name, kind="esp")
        enc = proposal.encryption[0]
        integ = proposal.integrity[0] if proposal.integrity else None
        need = enc.keymat_bytes + (integ.key_bytes if integ else 0)
        parts = f"{enc.key_bytes}-byte {enc.name} key"
        parts += f" + {enc.salt_bytes}-byte salt" if enc.salt_bytes else ""
        parts += f" + {integ.key_bytes}-byte {integ.name} HMAC key" if integ else ""
        if answer is None:
            print(f"{name}: not answered yet (hint: is it an AEAD? does it need an HMAC key?)")
        elif not isinstance(answer, int):
            print(f"{name}: give a number of bytes, not {answer!r}")
        elif answer == need:
            right += 1
            print(f"{name}: {answer} is right ({parts})")
        else:
            print(f"{name}: {answer} is not it. Think about: key {enc.key_bits} bits"
                  f"{', plus the salt' if enc.salt_bytes else ''}{', plus an HMAC key' if integ else ''}.")
    print(f"{right} of {len(answers)} right.")


check_keymat(my_keymat_bytes)

# %% [markdown]
# ## Quiz
# Five questions from the `crypto` bank, one for each part of this notebook.

# %%
from vpnlearn.quiz import quiz

quiz("crypto", ids=["crypto-hmac-sha256-truncation", "crypto-gcm-iv-reuse", "crypto-ecp-group19-ke",
                    "crypto-aws-dh-phase1", "crypto-prf-plus"])
