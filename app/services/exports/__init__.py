"""Reading uploaded CSV files and writing CSV/XLSX reports."""
