"""Plain-text tables for the tools' reports: one formatter, so every tool prints alike."""
from typing import Sequence, Tuple, Union

ALIGNMENTS = ('left', 'right')


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]],
                 align: Union[str, Sequence[str]] = 'left') -> str:
    """Columns as wide as their widest cell, two spaces apart, a dashed rule under the header.

    Args:
        header: the column titles.
        rows: one sequence of cells (strings) per row, as many as ``header``.
        align: ``'left'`` or ``'right'`` for every column, or one of them per column.

    Returns:
        The lines joined by newlines, without a final newline. Cells are padded to the
        column width, the last column too, so that columns line up in every row.

    Raises:
        ValueError: a row's length differs from the header's, a cell is not a string,
            or ``align`` names something other than ``'left'``/``'right'`` or has the
            wrong length.
    """
    columns = len(header)
    aligns = [align] * columns if isinstance(align, str) else list(align)
    if len(aligns) != columns or any(a not in ALIGNMENTS for a in aligns):
        raise ValueError(f'align must be {" or ".join(map(repr, ALIGNMENTS))}, or one of them '
                         f'per column ({columns}); got {align!r}.')
    lines = [list(header), *[list(row) for row in rows]]
    for number, line in enumerate(lines[1:], 1):
        if len(line) != columns:
            raise ValueError(f'row {number} has {len(line)} cells, the header {columns}: {line}')
    cells = [cell for line in lines for cell in line]
    if not all(isinstance(cell, str) for cell in cells):
        raise ValueError('table cells must be strings (format numbers first); got '
                         f'{[type(c).__name__ for c in cells if not isinstance(c, str)][:3]}')
    widths = [max(len(line[col]) for line in lines) for col in range(columns)]
    text = ['  '.join(cell.ljust(width) if side == 'left' else cell.rjust(width)
                      for cell, width, side in zip(line, widths, aligns))
            for line in lines]
    text.insert(1, '  '.join('-' * width for width in widths))
    return '\n'.join(text)


def format_rows(pairs: Sequence[Tuple[str, str]]) -> str:
    """``key  value`` lines, the values aligned after the longest key.

    Raises:
        ValueError: no pairs.
    """
    if not pairs:
        raise ValueError('format_rows needs at least one (key, value) pair.')
    width = max(len(key) for key, _ in pairs)
    return '\n'.join(f'{key:<{width}}  {value}' for key, value in pairs)


__all__ = ['format_rows', 'format_table']
