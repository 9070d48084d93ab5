"""Being installed: OAuth, the installation store, token encryption, the scopes and the app
manifest."""
