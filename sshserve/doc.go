// Package sshserve serves the dashboard, and the read-only and change
// commands, over SSH (charmbracelet/wish): one host holds the h2oGPTe admin
// token, and every admin reaches it with their own SSH key and nothing
// installed.
//
// # Who may enter
//
// Public-key authentication only: no password, no keyboard-interactive, no
// "none". The authorized keys file (OpenSSH format, required: New refuses to
// start without it) lists every person; a line's comment is the person's
// name, and a line without one is named from its key's fingerprint. The
// option role=read-only marks a person who may look but not change; every
// other listed person is an admin. Options that would restrict a key in
// ways this service does not implement (from=, command=, no-pty, ...) make
// the file an error rather than being ignored. Unknown keys are refused
// during authentication, before any session exists.
//
// The file is re-read when its modification time or size changes (polled)
// and on Server.Reload, which the caller wires to SIGHUP. A file that fails
// to parse on reload leaves the previous set in force and is logged; open
// sessions of keys that were removed, or whose role changed, are closed.
//
// # What the service trusts
//
//   - The authorized keys file, and whoever can write it: it decides who
//     enters, their name in the audit log, and their role.
//   - The host's own settings: the h2oGPTe server address and admin token
//     are read on the host and never leave it. No session can see or send
//     them; a session only drives the dashboard or runs a command whose
//     requests the host makes on its behalf.
//   - The host key file (0600, created once): whoever reads it can pose as
//     this server, so a key file others may read is refused.
//
// # What it does not trust
//
//   - The client's terminal and everything it sends: the SSH user name (not
//     used for identity), environment, TERM, window size and keystrokes. The
//     person is known only by the key that signed the authentication.
//   - Names typed in or sent by the h2oGPTe server: they are data, cleaned
//     of control characters before they are shown or logged.
//   - The dashboard's own checks: read-only is decided here (Person.Role)
//     and must be enforced where changes are sent, not only hidden in the
//     screen.
//
// # Limits
//
// At most MaxSessions sessions at once (the next is told "too many sessions
// (N); try again later" and exits 1); a terminal session closes after
// IdleTimeout without a keystroke, any session after MaxSessionTime; a
// connection may have MaxAuthTries keys refused, after which every key is
// refused. When Serve's context ends it stops accepting, refuses new
// sessions and changes, lets changes begun (Terminal.BeginChange) and
// running commands finish within ShutdownGrace, tells every session why it
// ends, and closes what is left.
package sshserve
