// Package mtls authenticates and encrypts the actor remote between the nodes of a cluster
// with mutual TLS (TLS 1.3).
//
// By default the trust comes from the server secret: a cluster CA whose Ed25519 key is
// ed25519.NewKeyFromSeed over a key derived from TTR_SECRET_KEY (every node derives the same
// CA, byte for byte), and each node issues itself a short-lived leaf naming the cluster,
// renewed at half its life. While a previous secret is configured, its CA is trusted as well,
// and a node presents to each peer a leaf that peer trusts (the client picks by the server's
// acceptable CAs, the server by a hint the client puts in the server name), so a rotation
// rolls node by node. Operators may give their own CA bundle and leaf instead (files,
// re-read when they change).
//
// Either side refuses a peer whose certificate does not chain to a trusted CA or does not
// name the cluster: the connection ends in the handshake and no message reaches an actor.
//
// Mode Permit (one release, for upgrading a plaintext cluster) accepts plaintext and TLS on
// the same port (the first byte tells them apart) and dials TLS only to peers that announce
// it. It imports nothing of ttr's; gRPC's credentials interface is the only dependency.
package mtls
