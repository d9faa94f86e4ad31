// Package deploy holds the manifests for running gemini-code-api in a mesh:
// istio/ (Istio) and envoy-gateway/ (Envoy Gateway). Its tests decode every
// manifest strictly with the projects' own API types, check the Envoy
// configuration inside the patches against Envoy's v3 API
// (go-control-plane), and check that the result matches envoy.yaml, the
// reference configuration. No Go code here is part of the module.
package deploy
