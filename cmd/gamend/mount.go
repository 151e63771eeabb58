package main

// registerKinds registers every entity kind with the registry.
func registerKinds(a *app) {}

// mount registers every feature's HTTP routes.
func mount(a *app) {}
