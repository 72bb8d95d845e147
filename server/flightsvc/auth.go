package flightsvc

import (
	"context"
	"crypto/subtle"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// secretKey is the gRPC metadata key that carries the cluster secret, as
// "Bearer SECRET".
const secretKey = "authorization"

// requireSecret returns the server options that refuse every call not
// carrying secret; none when secret is empty (a loopback-only listener
// without a secret: see logq serve's --cluster-secret-file).
func requireSecret(secret string) []grpc.ServerOption {
	if secret == "" {
		return nil
	}
	want := []byte("Bearer " + secret)
	check := func(ctx context.Context) error {
		md, _ := metadata.FromIncomingContext(ctx)
		for _, v := range md.Get(secretKey) {
			if subtle.ConstantTimeCompare([]byte(v), want) == 1 {
				return nil
			}
		}
		return status.Error(codes.Unauthenticated, "flight: this call does not carry the cluster's secret")
	}
	return []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if err := check(ctx); err != nil {
				return nil, err
			}
			return h(ctx, req)
		}),
		grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			if err := check(ss.Context()); err != nil {
				return err
			}
			return h(srv, ss)
		}),
	}
}

// secretCredentials sends the cluster secret with every call.
type secretCredentials string

func (s secretCredentials) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{secretKey: "Bearer " + string(s)}, nil
}

// RequireTransportSecurity is false: the secret proves membership; TLS
// between nodes (the certificates of the listeners) is a separate choice.
func (s secretCredentials) RequireTransportSecurity() bool { return false }
