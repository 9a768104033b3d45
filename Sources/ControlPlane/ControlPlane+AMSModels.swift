// ControlPlane's public API speaks the wire shapes (`MediaServices` takes and returns `LiveEvent`, `Asset`, `ARMError`, …),
// so whoever imports ControlPlane gets AMSModels with it, as every file of this module does.
@_exported import AMSModels
