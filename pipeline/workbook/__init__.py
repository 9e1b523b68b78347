"""The provincial workbook (XlsxWriter), one module per sheet; `assemble.py` puts them together."""
