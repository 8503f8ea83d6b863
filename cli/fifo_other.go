//go:build !unix

package cli

// wakeFIFO does nothing where there are no FIFOs: the reading goroutine, if
// blocked, ends with the process.
func wakeFIFO(string) {}
