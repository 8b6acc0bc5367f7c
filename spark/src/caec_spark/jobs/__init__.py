"""Job entry points (the only modules, with io/session, that touch the outside world)."""
