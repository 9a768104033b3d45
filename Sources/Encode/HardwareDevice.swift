import CFFmpeg

/// An open VAAPI device (a DRM render node) that decoders, filters and encoders share by reference.
final class HardwareDevice {
    let path: String
    /// The `AVHWDeviceContext` buffer; users take their own reference with `av_buffer_ref`.
    let reference: UnsafeMutablePointer<AVBufferRef>

    init(vaapi path: String) throws(EncodeError) {
        var device: UnsafeMutablePointer<AVBufferRef>?
        let status = av_hwdevice_ctx_create(&device, AV_HWDEVICE_TYPE_VAAPI, path, nil, 0)
        guard status >= 0, let device else {
            throw EncodeError(.deviceUnavailable, "cannot open the VAAPI device \(path): \(avErrorString(status)); check that the node exists, "
                + "that the edgelive user is in the render group, and that a VA driver for the GPU is installed (`edgelive hw probe`)")
        }
        self.path = path
        reference = device
    }

    deinit {
        var device: UnsafeMutablePointer<AVBufferRef>? = reference
        av_buffer_unref(&device)
    }
}
