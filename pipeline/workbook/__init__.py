"""The provincial workbook (XlsxWriter), one module per sheet; `pipeline.provincial` is its entry point."""
