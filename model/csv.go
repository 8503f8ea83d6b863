package model

// CSVCell makes s safe as a spreadsheet cell. A cell that begins with =, +,
// -, @, a tab or a carriage return is read as a formula by spreadsheet
// programs (CWE-1236, CSV injection): a key named =HYPERLINK(...) would run
// as one on the admin's machine. Such a cell is prefixed with a single
// quote, which spreadsheets show as text. Every other cell, and all JSON,
// is left as it is.
func CSVCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// CSVRow applies CSVCell to every cell of row, in place, and returns it.
func CSVRow(row []string) []string {
	for i, c := range row {
		row[i] = CSVCell(c)
	}
	return row
}
