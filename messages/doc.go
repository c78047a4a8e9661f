// Package messages holds what every other package shares and nothing else: the protobuf
// messages that cross actor and node boundaries (ttr.proto, generated into ttr.pb.go), the
// domain records they talk about (users, checks, pings, flips, outbox rows), and the one
// application error type whose code survives a hop between nodes.
//
// It imports nothing of ours.
package messages

//go:generate go tool buf generate
