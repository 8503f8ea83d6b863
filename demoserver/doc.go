// Package demoserver is an in-process stand-in for the h2oGPTe admin REST API
// (the subset in shared/api): API keys under /api/v1/admin/api_keys, users,
// collections and global configuration. It is what `h2ogpte-keys demo` talks
// to and the test double for the client, the CLI and the dashboard, so it
// follows the published spec rather than convenience: the spec's paths and
// JSON names, 201/204 where the spec says so, EndpointError bodies for every
// error, bearer authentication with admin-only routes, and the rules the spec
// leaves to prose (loose filters, the global expiry limit, idle keys).
//
// Sample data is generated from Options.Seed relative to Options.Now, so two
// servers built with the same seed and clock list byte-identical JSON. It
// covers every key state an admin meets: active, deactivated, expired, idle,
// never used, heavily used, about to expire, and names meant to trip up a
// terminal. Options.ExtraKeys adds generated users and keys for scale demos.
//
// Typical use in a test:
//
//	srv := demoserver.New(demoserver.Options{Seed: 1, Now: clock})
//	ts := httptest.NewServer(srv)
//	defer ts.Close()
//	// talk to ts.URL+"/api/v1" with "Authorization: Bearer "+demoserver.DemoToken
//
// Switches make it behave like the servers a client meets in the field:
// Options.OmitEmpty and Options.OldServer change how optional key fields
// are spelled, Options.RequireExpiry and Options.InactivityStatus model
// stricter and older servers, Inject adds faults (an error before acting;
// acting and then losing the answer as a 504, a dropped connection or a slow
// write; endless or offset-blind paging), Block holds a user's key listing
// and BlockUsers the users listing, AddKey stores a key with chosen fields,
// and Calls logs what was asked.
//
// and for the demo command, Start listens on loopback and serves in the
// background until Running.Close.
//
// Secrets of created keys are returned once and kept only as a SHA-256 hash
// and a four-character hint, as the real server does; DemoToken is the admin's
// own key and works only here.
package demoserver
