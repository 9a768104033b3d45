/// Placeholder until the systemd integration lands; keeps the target buildable.
enum SystemdPlaceholder {}
