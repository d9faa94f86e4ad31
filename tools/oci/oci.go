// Package oci packages the compiled module (dist/gemini-code-api.wasm) as the
// two kinds of image that Istio's and Envoy Gateway's Wasm image fetchers
// pull, without a Docker daemon (go-containerregistry), writes them to an OCI
// image layout, and pushes them to a registry.
//
// Both fetchers (istio/istio pkg/wasm/imagefetcher.go, and its copy in
// envoyproxy/gateway internal/wasm/imagefetcher.go) take an image in one of
// the formats of the Wasm image specification (solo-io/wasm spec/):
//
//   - "compat": an ordinary image whose last layer is a gzipped tar
//     (application/vnd.oci.image.layer.v1.tar+gzip) holding plugin.wasm. The
//     spec asks for the manifest annotation module.wasm.image/variant=compat.
//     Being an ordinary image, it can also be mounted as a Kubernetes image
//     volume (see deploy/envoy-gateway).
//   - "oci": an artifact of exactly two layers, the module itself as
//     application/vnd.module.wasm.content.layer.v1+wasm (raw bytes, not
//     compressed) and the runtime configuration as
//     application/vnd.module.wasm.config.v1+json. The manifest's config
//     descriptor carries the same runtime configuration with the same media
//     type, as the spec describes.
//
// Everything is deterministic: no timestamps, so the same module always gives
// the same digests.
package oci

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Media types and names of the Wasm image specification.
const (
	WasmLayerMediaType  types.MediaType = "application/vnd.module.wasm.content.layer.v1+wasm"
	WasmConfigMediaType types.MediaType = "application/vnd.module.wasm.config.v1+json"
	// PluginFile is the file the compat variant's layer must hold.
	PluginFile = "plugin.wasm"
	// VariantAnnotation marks a compat image with an OCI layer media type.
	VariantAnnotation = "module.wasm.image/variant"
	// RefNameAnnotation names each image in the layout's index.json.
	RefNameAnnotation = "org.opencontainers.image.ref.name"
	// TitleAnnotation names a layer's file.
	TitleAnnotation = "org.opencontainers.image.title"
	// RootID is the plugin's root_id (envoy.yaml, deploy/).
	RootID = "gemini-code-api"
)

// Variant names, used as ref.name in the layout and as the tag suffix of the
// oci variant when pushing.
const (
	Compat   = "compat"
	Artifact = "oci"
)

// Images holds the module packaged both ways.
type Images struct {
	Compat   v1.Image // ordinary image, gzipped tar layer with plugin.wasm
	Artifact v1.Image // Wasm OCI artifact, raw module layer
}

// RuntimeConfig is the Wasm image specification's runtime configuration for
// an Envoy filter.
type RuntimeConfig struct {
	Type        string   `json:"type"`
	ABIVersions []string `json:"abiVersions"`
	Config      struct {
		RootIDs []string `json:"root_ids"`
	} `json:"config"`
}

func runtimeConfig() []byte {
	rc := RuntimeConfig{Type: "envoy_proxy", ABIVersions: []string{"v0.2.1"}}
	rc.Config.RootIDs = []string{RootID}
	b, _ := json.Marshal(rc)
	return b
}

// Build packages wasm (the module's bytes) in both variants.
func Build(wasm []byte) (*Images, error) {
	if len(wasm) < 8 || !bytes.Equal(wasm[:4], []byte("\x00asm")) {
		return nil, errors.New("oci: not a Wasm module (no \\0asm header)")
	}
	compat, err := buildCompat(wasm)
	if err != nil {
		return nil, err
	}
	art, err := buildArtifact(wasm)
	if err != nil {
		return nil, err
	}
	return &Images{Compat: compat, Artifact: art}, nil
}

// compatLayer returns the gzipped tar holding plugin.wasm, byte for byte the
// same on every run.
func compatLayer(wasm []byte) ([]byte, error) {
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     PluginFile,
		Size:     int64(len(wasm)),
		Mode:     0o444,
		ModTime:  time.Unix(0, 0),
		Format:   tar.FormatPAX,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := tw.Write(wasm); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(tb.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return gz.Bytes(), nil
}

func buildCompat(wasm []byte) (v1.Image, error) {
	gz, err := compatLayer(wasm)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(gz)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:       layer,
		History:     v1.History{CreatedBy: "gemini-code-api tools/oci", Created: v1.Time{Time: time.Unix(0, 0).UTC()}},
		Annotations: map[string]string{TitleAnnotation: PluginFile},
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, err
	}
	return mutate.Annotations(img, map[string]string{VariantAnnotation: Compat}).(v1.Image), nil
}

// blob is a layer or config stored as is (never compressed by us).
type blob struct {
	data []byte
	mt   types.MediaType
}

func (b blob) Digest() (v1.Hash, error) {
	h, _, err := v1.SHA256(bytes.NewReader(b.data))
	return h, err
}
func (b blob) Compressed() (io.ReadCloser, error)    { return io.NopCloser(bytes.NewReader(b.data)), nil }
func (b blob) Size() (int64, error)                  { return int64(len(b.data)), nil }
func (b blob) MediaType() (types.MediaType, error)   { return b.mt, nil }
func (b blob) descriptor(title string) v1.Descriptor { return describe(b, title) }

func describe(b blob, title string) v1.Descriptor {
	d, _ := b.Digest()
	desc := v1.Descriptor{MediaType: b.mt, Size: int64(len(b.data)), Digest: d}
	if title != "" {
		desc.Annotations = map[string]string{TitleAnnotation: title}
	}
	return desc
}

// artifact is the oci variant: a manifest we write ourselves, since its
// config is not an image config.
type artifact struct {
	config   blob
	layers   []blob
	manifest []byte
}

func (a *artifact) RawConfigFile() ([]byte, error)      { return a.config.data, nil }
func (a *artifact) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
func (a *artifact) RawManifest() ([]byte, error)        { return a.manifest, nil }
func (a *artifact) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	for _, l := range a.layers {
		if d, _ := l.Digest(); d == h {
			return l, nil
		}
	}
	if d, _ := a.config.Digest(); d == h {
		return a.config, nil
	}
	return nil, fmt.Errorf("oci: no blob %s", h)
}

func buildArtifact(wasm []byte) (v1.Image, error) {
	rc := runtimeConfig()
	a := &artifact{
		config: blob{data: rc, mt: WasmConfigMediaType},
		layers: []blob{
			{data: rc, mt: WasmConfigMediaType},
			{data: wasm, mt: WasmLayerMediaType},
		},
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config:        describe(a.config, ""),
		Layers: []v1.Descriptor{
			a.layers[0].descriptor("runtime-config.json"),
			a.layers[1].descriptor(PluginFile),
		},
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	a.manifest = b
	return partial.CompressedToImage(a)
}

// Result describes a written layout.
type Result struct {
	Dir            string
	WasmSHA256     string  // hex
	CompatDigest   v1.Hash // manifest digest of the compat image
	ArtifactDigest v1.Hash // manifest digest of the oci artifact
}

// WriteLayout writes both images to a fresh OCI image layout at dir (its
// previous content is removed), each named by its variant (ref.name).
func WriteLayout(dir string, wasm []byte) (*Result, error) {
	imgs, err := Build(wasm)
	if err != nil {
		return nil, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return nil, err
	}
	for _, v := range []struct {
		name string
		img  v1.Image
	}{{Compat, imgs.Compat}, {Artifact, imgs.Artifact}} {
		if err := p.AppendImage(v.img, layout.WithAnnotations(map[string]string{RefNameAnnotation: v.name})); err != nil {
			return nil, fmt.Errorf("oci: writing the %s image: %w", v.name, err)
		}
	}
	sum := sha256.Sum256(wasm)
	res := &Result{Dir: dir, WasmSHA256: hex.EncodeToString(sum[:])}
	if res.CompatDigest, err = imgs.Compat.Digest(); err != nil {
		return nil, err
	}
	if res.ArtifactDigest, err = imgs.Artifact.Digest(); err != nil {
		return nil, err
	}
	return res, nil
}

// ReadLayout returns the images of a layout written by WriteLayout.
func ReadLayout(dir string) (*Images, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, err
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	out := &Images{}
	for _, d := range im.Manifests {
		img, err := idx.Image(d.Digest)
		if err != nil {
			return nil, err
		}
		switch d.Annotations[RefNameAnnotation] {
		case Compat:
			out.Compat = img
		case Artifact:
			out.Artifact = img
		}
	}
	if out.Compat == nil || out.Artifact == nil {
		return nil, fmt.Errorf("oci: %s lacks the %q or %q image (run make oci)", dir, Compat, Artifact)
	}
	return out, nil
}

// ArtifactTag derives the oci variant's reference from the compat one: the
// same repository, the tag with "-oci" appended (latest-oci without a tag).
func ArtifactTag(image string, opts ...name.Option) (name.Tag, error) {
	t, err := name.NewTag(image, opts...)
	if err != nil {
		return name.Tag{}, err
	}
	return t.Context().Tag(t.TagStr() + "-" + Artifact), nil
}

// Pushed is one image written to a registry.
type Pushed struct {
	Variant string
	Ref     name.Tag
	Digest  v1.Hash
}

// String is the pinned reference: repository:tag@sha256:....
func (p Pushed) String() string { return p.Ref.String() + "@" + p.Digest.String() }

// Push writes the layout's compat image to image (repository:tag) and its
// oci artifact to repository:tag-oci. Registry credentials come from the
// Docker config (~/.docker/config.json, DOCKER_CONFIG) unless options say
// otherwise; name options (name.Insecure) allow plain-HTTP registries.
func Push(dir, image string, nameOpts []name.Option, opts ...remote.Option) ([]Pushed, error) {
	imgs, err := ReadLayout(dir)
	if err != nil {
		return nil, err
	}
	if strings.Contains(image, "@") {
		return nil, fmt.Errorf("oci: push to a tag, not a digest: %s", image)
	}
	compatRef, err := name.NewTag(image, nameOpts...)
	if err != nil {
		return nil, err
	}
	artRef, err := ArtifactTag(image, nameOpts...)
	if err != nil {
		return nil, err
	}
	if len(opts) == 0 {
		opts = []remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain)}
	}
	var out []Pushed
	for _, v := range []struct {
		variant string
		ref     name.Tag
		img     v1.Image
	}{{Compat, compatRef, imgs.Compat}, {Artifact, artRef, imgs.Artifact}} {
		if err := remote.Write(v.ref, v.img, opts...); err != nil {
			return out, fmt.Errorf("oci: pushing %s: %w", v.ref, err)
		}
		d, err := v.img.Digest()
		if err != nil {
			return out, err
		}
		out = append(out, Pushed{Variant: v.variant, Ref: v.ref, Digest: d})
	}
	return out, nil
}
