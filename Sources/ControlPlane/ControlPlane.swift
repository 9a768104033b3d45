// ControlPlane — Azure Media Services v3-shaped resources (see ARCHITECTURE.md).
