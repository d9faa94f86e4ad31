package oci

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/internal/wasmbuild"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// module returns the compiled module (wasmbuild.Module): GCA_WASM when set,
// otherwise a fresh build of the tree.
func module(t testing.TB) []byte { return wasmbuild.Module(t) }

// sha256Hex is b's digest as the registry code computes it (a bytes.Reader
// never fails).
func sha256Hex(b []byte) string {
	h, _, _ := v1.SHA256(bytes.NewReader(b))
	return h.Hex
}

// pluginFromCompat does what Istio's and Envoy Gateway's fetchers do with a
// compat image: the last layer must be a gzipped OCI (or Docker) tar layer,
// and the module is its plugin.wasm.
func pluginFromCompat(t *testing.T, img v1.Image) []byte {
	t.Helper()
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType == types.DockerManifestSchema2 {
		t.Fatalf("compat manifest is a Docker manifest; the OCI layer media type needs an OCI manifest")
	}
	last := imageLayers(t, img, 1, "compat image (the spec wants exactly one)")[0]
	if mt, _ := last.MediaType(); mt != types.OCILayer {
		t.Fatalf("compat layer media type %s, want %s", mt, types.OCILayer)
	}
	zr, err := gzip.NewReader(layerBlob(t, last))
	if err != nil {
		t.Fatalf("compat layer is not gzip: %v", err)
	}
	tr := tar.NewReader(zr)
	var found []byte
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if filepath.Base(h.Name) == PluginFile {
			if found, err = io.ReadAll(tr); err != nil {
				t.Fatal(err)
			}
		}
	}
	if found == nil {
		t.Fatalf("compat layer holds %v, no %s", names, PluginFile)
	}
	if len(names) != 1 {
		t.Errorf("compat layer holds %v, want only %s", names, PluginFile)
	}
	return found
}

// pluginFromArtifact does what the fetchers do with the oci variant: exactly
// two layers, one of the Wasm content media type, whose blob is the module.
func pluginFromArtifact(t *testing.T, img v1.Image) []byte {
	t.Helper()
	var wasm v1.Layer
	for _, l := range imageLayers(t, img, 2, "oci artifact (Istio and Envoy Gateway want exactly 2)") {
		if mt, _ := l.MediaType(); mt == WasmLayerMediaType {
			wasm = l
		}
	}
	if wasm == nil {
		t.Fatalf("oci artifact has no %s layer", WasmLayerMediaType)
	}
	b, err := io.ReadAll(layerBlob(t, wasm))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// imageLayers is img's layers, which must be n; what names the image (and
// why n).
func imageLayers(t *testing.T, img v1.Image, n int, what string) []v1.Layer {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != n {
		t.Fatalf("%s has %d layers, want %d", what, len(layers), n)
	}
	return layers
}

// layerBlob opens l's blob as stored (compressed or not), closed when the
// test ends.
func layerBlob(t *testing.T, l v1.Layer) io.Reader {
	t.Helper()
	rc, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Close() })
	return rc
}

// writeLayout writes the module's layout into a new directory dir.
func writeLayout(t *testing.T) (wasm []byte, dir string, res *Result) {
	t.Helper()
	wasm = module(t)
	dir = filepath.Join(t.TempDir(), "oci")
	res, err := WriteLayout(dir, wasm)
	if err != nil {
		t.Fatal(err)
	}
	return wasm, dir, res
}

func TestLayoutHoldsTheModuleInBothVariants(t *testing.T) {
	wasm, dir, res := writeLayout(t)
	if res.WasmSHA256 != sha256Hex(wasm) {
		t.Errorf("WasmSHA256 = %s, want %s", res.WasmSHA256, sha256Hex(wasm))
	}
	for _, f := range []string{"oci-layout", "index.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("layout lacks %s: %v", f, err)
		}
	}
	imgs, err := ReadLayout(dir)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("compat", func(t *testing.T) {
		img := imgs.Compat
		if err := validate.Image(img); err != nil {
			t.Fatalf("compat image does not validate: %v", err)
		}
		if d, _ := img.Digest(); d != res.CompatDigest {
			t.Errorf("digest in layout %s, WriteLayout reported %s", d, res.CompatDigest)
		}
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		if m.MediaType != types.OCIManifestSchema1 || m.Config.MediaType != types.OCIConfigJSON {
			t.Errorf("manifest %s, config %s; want an OCI image manifest and config", m.MediaType, m.Config.MediaType)
		}
		if m.Annotations[VariantAnnotation] != Compat {
			t.Errorf("manifest annotations %v, want %s=%s (Wasm image spec, compat variant)", m.Annotations, VariantAnnotation, Compat)
		}
		if got := pluginFromCompat(t, img); !bytes.Equal(got, wasm) {
			t.Errorf("plugin.wasm (%d bytes, sha256 %s) is not the module (%d bytes, sha256 %s)", len(got), sha256Hex(got), len(wasm), sha256Hex(wasm))
		}
	})

	t.Run("oci", func(t *testing.T) {
		img := imgs.Artifact
		if d, _ := img.Digest(); d != res.ArtifactDigest {
			t.Errorf("digest in layout %s, WriteLayout reported %s", d, res.ArtifactDigest)
		}
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		if m.MediaType != types.OCIManifestSchema1 {
			t.Errorf("manifest media type %s", m.MediaType)
		}
		if m.Config.MediaType != WasmConfigMediaType {
			t.Errorf("config media type %s, want %s", m.Config.MediaType, WasmConfigMediaType)
		}
		rawCfg, err := img.RawConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		var rc RuntimeConfig
		dec := json.NewDecoder(bytes.NewReader(rawCfg))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rc); err != nil {
			t.Fatalf("runtime config %s: %v", rawCfg, err)
		}
		if rc.Type != "envoy_proxy" || len(rc.Config.RootIDs) != 1 || rc.Config.RootIDs[0] != RootID {
			t.Errorf("runtime config %s: want type envoy_proxy, root_ids [%s]", rawCfg, RootID)
		}
		var layerTypes []types.MediaType
		for _, l := range m.Layers {
			layerTypes = append(layerTypes, l.MediaType)
			if l.MediaType == WasmLayerMediaType {
				if l.Digest.Hex != sha256Hex(wasm) || l.Size != int64(len(wasm)) {
					t.Errorf("module layer %s (%d bytes), want sha256:%s (%d bytes)", l.Digest, l.Size, sha256Hex(wasm), len(wasm))
				}
			}
		}
		if fmt.Sprint(layerTypes) != fmt.Sprint([]types.MediaType{WasmConfigMediaType, WasmLayerMediaType}) {
			t.Errorf("layers %v", layerTypes)
		}
		if got := pluginFromArtifact(t, img); !bytes.Equal(got, wasm) {
			t.Errorf("module layer (sha256 %s) is not the module (sha256 %s)", sha256Hex(got), sha256Hex(wasm))
		}
	})

	t.Run("deterministic", func(t *testing.T) {
		again, err := WriteLayout(filepath.Join(t.TempDir(), "again"), wasm)
		if err != nil {
			t.Fatal(err)
		}
		if again.CompatDigest != res.CompatDigest || again.ArtifactDigest != res.ArtifactDigest {
			t.Errorf("a second build gave %s / %s, the first %s / %s", again.CompatDigest, again.ArtifactDigest, res.CompatDigest, res.ArtifactDigest)
		}
	})
}

func TestBuildRejectsNonWasm(t *testing.T) {
	if _, err := Build([]byte("#!/bin/sh\necho not wasm\n")); err == nil {
		t.Fatal("Build accepted a file that is not a Wasm module")
	}
}

// TestPushToRegistry pushes the layout to an in-process registry on
// 127.0.0.1 and pulls both images back as Istio's and Envoy Gateway's
// fetchers do: by tag, checking the manifest digest, then the module.
func TestPushToRegistry(t *testing.T) {
	wasm, dir, res := writeLayout(t)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	if !strings.HasPrefix(host, "127.0.0.1:") {
		t.Fatalf("test registry listens on %s, want loopback", host)
	}
	image := host + "/team/gemini-code-api:0.1.0"
	insecure := []name.Option{name.Insecure}
	pushed, err := Push(dir, image, insecure, remote.WithAuth(authn.Anonymous))
	if err != nil {
		t.Fatal(err)
	}
	if len(pushed) != 2 {
		t.Fatalf("pushed %v", pushed)
	}
	want := map[string]struct {
		ref    string
		digest v1.Hash
	}{
		Compat:   {image, res.CompatDigest},
		Artifact: {image + "-oci", res.ArtifactDigest},
	}
	for _, p := range pushed {
		w := want[p.Variant]
		if p.Ref.String() != w.ref || p.Digest != w.digest {
			t.Errorf("pushed %s %s@%s, want %s@%s", p.Variant, p.Ref, p.Digest, w.ref, w.digest)
		}
		ref, err := name.ParseReference(w.ref, insecure...)
		if err != nil {
			t.Fatal(err)
		}
		desc, err := remote.Get(ref, remote.WithAuth(authn.Anonymous))
		if err != nil {
			t.Fatal(err)
		}
		if desc.Digest != w.digest {
			t.Errorf("%s resolves to %s, want %s (the sha256 the manifests pin)", w.ref, desc.Digest, w.digest)
		}
		img, err := desc.Image()
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		if p.Variant == Compat {
			got = pluginFromCompat(t, img)
		} else {
			got = pluginFromArtifact(t, img)
		}
		if !bytes.Equal(got, wasm) {
			t.Errorf("%s: pulled module (sha256 %s) is not the module (sha256 %s)", w.ref, sha256Hex(got), sha256Hex(wasm))
		}
	}

	if _, err := Push(dir, image+"@"+res.CompatDigest.String(), insecure); err == nil {
		t.Error("Push accepted a digest reference")
	}
}

func TestArtifactTag(t *testing.T) {
	for in, want := range map[string]string{
		"ghcr.io/a/gemini-code-api:1.2.3": "ghcr.io/a/gemini-code-api:1.2.3-oci",
		"ghcr.io/a/gemini-code-api":       "ghcr.io/a/gemini-code-api:latest-oci",
	} {
		got, err := ArtifactTag(in)
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != want {
			t.Errorf("ArtifactTag(%q) = %s, want %s", in, got, want)
		}
	}
}
