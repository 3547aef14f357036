"""The provider-neutral core: manifest -> IR -> plugins. Depends on no provider."""
