"""Platform: extensions, the key-value store, rate limits, attachment storage, SMS backends, response security.
May import permissions and models only; every other package of app/ builds on it."""
