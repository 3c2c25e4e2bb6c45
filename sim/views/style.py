"""The size and type of every figure: one font size, one page size, one resolution."""

FONT = 12  # points, for tick labels, axis labels and legends; titles are larger
WIDTH, HEIGHT, DPI = 10.0, 6.0, 150  # inches, inches, dots per inch
