// Command gca-oci packages dist/gemini-code-api.wasm as OCI images for
// Istio and Envoy Gateway and pushes them, without Docker.
//
//	gca-oci build -wasm dist/gemini-code-api.wasm -out dist/oci
//	gca-oci push  -layout dist/oci -image ghcr.io/you/gemini-code-api:v1
//
// build writes an OCI image layout holding the "compat" image (plugin.wasm
// in a gzipped tar layer) and the "oci" Wasm artifact, and prints their
// digests. push sends the compat image to -image and the artifact to the same
// repository with "-oci" appended to the tag; credentials come from the
// Docker config (docker login, or DOCKER_CONFIG).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/gemini-code-api/gemini-code-api/tools/oci"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "build":
		err = build(os.Args[2:])
	case "push":
		err = push(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gca-oci:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: gca-oci build -wasm FILE -out DIR | gca-oci push -layout DIR -image REPO:TAG [-insecure]")
	os.Exit(2)
}

func build(args []string) error {
	fs := flag.NewFlagSet("build", flag.ExitOnError)
	wasmPath := fs.String("wasm", "dist/gemini-code-api.wasm", "the compiled module")
	out := fs.String("out", "dist/oci", "OCI image layout to (re)write")
	_ = fs.Parse(args)
	wasm, err := os.ReadFile(*wasmPath)
	if err != nil {
		return err
	}
	res, err := oci.WriteLayout(*out, wasm)
	if err != nil {
		return err
	}
	fmt.Printf("wrote OCI image layout %s\n", res.Dir)
	fmt.Printf("  module sha256:           %s\n", res.WasmSHA256)
	fmt.Printf("  compat image (tag):      %s\n", res.CompatDigest)
	fmt.Printf("  oci artifact (tag-oci):  %s\n", res.ArtifactDigest)
	fmt.Println("Istio (oci:// url) and Envoy Gateway (image.sha256) check the manifest digest of the image they pull: put the")
	fmt.Println("digest of the variant you reference (without \"sha256:\") in the manifests under deploy/.")
	return nil
}

func push(args []string) error {
	fs := flag.NewFlagSet("push", flag.ExitOnError)
	dir := fs.String("layout", "dist/oci", "OCI image layout written by build")
	image := fs.String("image", "", "repository:tag for the compat image; the oci artifact goes to repository:tag-oci")
	insecure := fs.Bool("insecure", false, "allow a plain-HTTP registry")
	_ = fs.Parse(args)
	if *image == "" {
		return fmt.Errorf("push needs -image REPO:TAG (make push IMAGE=...)")
	}
	var nameOpts []name.Option
	if *insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	pushed, err := oci.Push(*dir, *image, nameOpts)
	for _, p := range pushed {
		fmt.Printf("pushed %-6s %s\n", p.Variant, p)
	}
	return err
}
