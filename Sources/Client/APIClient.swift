/// Placeholder until the CLI client lands; keeps the target buildable.
enum ClientPlaceholder {}
