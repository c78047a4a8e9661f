package messages_test

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/cmd/protoc-gen-go/internal_gengo"
	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"
)

// TestGeneratedCodeIsCurrent regenerates ttr.pb.go in memory, with the same pinned compiler
// front end and code generator that `make generate` runs through buf, and fails when the
// committed file differs: run `make generate` and commit.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	c := protocompile.Compiler{
		Resolver:       protocompile.WithStandardImports(&protocompile.SourceResolver{ImportPaths: []string{"."}}),
		SourceInfoMode: protocompile.SourceInfoStandard,
	}
	files, err := c.Compile(context.Background(), "ttr.proto")
	if err != nil {
		t.Fatalf("compile ttr.proto: %v", err)
	}
	fdp := protodesc.ToFileDescriptorProto(files[0])
	req := &pluginpb.CodeGeneratorRequest{
		FileToGenerate: []string{"ttr.proto"},
		Parameter:      proto.String("paths=source_relative"),
		ProtoFile:      []*descriptorpb.FileDescriptorProto{fdp},
	}
	plugin, err := protogen.Options{}.New(req)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range plugin.Files {
		if f.Generate {
			internal_gengo.GenerateFile(plugin, f)
		}
	}
	resp := plugin.Response()
	if resp.Error != nil {
		t.Fatalf("generate: %s", resp.GetError())
	}
	if len(resp.File) != 1 {
		t.Fatalf("generated %d files, want 1", len(resp.File))
	}
	committed, err := os.ReadFile("ttr.pb.go")
	if err != nil {
		t.Fatal(err)
	}
	if got := []byte(resp.File[0].GetContent()); !bytes.Equal(got, committed) {
		t.Fatalf("messages/ttr.pb.go is out of date with ttr.proto: run `make generate` and commit (generated %d bytes, committed %d)", len(got), len(committed))
	}
}
