// Package head is a camera's learned last stage over a scorer: a logistic model over the
// scorer's region scores, with its own threshold, fitted to the frames a site reviewed. It is
// scorer-independent (the mud check's classic and onnx scorers, the cover check's), pure Go,
// and knows nothing of files: agent/mudlearn keeps its versions on disk.
//
// It must not import sitegate/agent.
package head
