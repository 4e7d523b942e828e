"""vitok_mm.utils.table: the one text-table formatter of the tools."""
import pytest

from vitok_mm.utils.table import format_rows, format_table


def test_columns_are_as_wide_as_their_widest_cell_with_a_rule_under_the_header():
    text = format_table(['set', 'PSNR'], [['imagenet', '25.1234'], ['coco', '-']])
    assert text.split('\n') == [
        'set       PSNR   ',
        '--------  -------',
        'imagenet  25.1234',
        'coco      -      ',
    ]


def test_alignment_per_column():
    text = format_table(['model', 'GMACs'], [['ViTok', '34.7'], ['SD-VAE', '1234.5']],
                        align=['left', 'right'])
    assert text.split('\n') == [
        'model    GMACs',
        '------  ------',
        'ViTok     34.7',
        'SD-VAE  1234.5',
    ]
    assert format_table(['a', 'b'], [['xyz', '1']], align='right').split('\n')[2] == 'xyz  1'


def test_a_table_without_rows_is_its_header():
    assert format_table(('metric', 'value'), []) == 'metric  value\n------  -----'


@pytest.mark.parametrize('header, rows, align, message', [
    (['a', 'b'], [['1']], 'left', 'row 1 has 1 cells, the header 2'),
    (['a', 'b'], [['1', 2.0]], 'left', 'cells must be strings'),
    (['a', 'b'], [['1', '2']], 'centre', "align must be 'left' or 'right'"),
    (['a', 'b'], [['1', '2']], ['left'], 'one of them per column'),
])
def test_bad_tables_are_refused(header, rows, align, message):
    with pytest.raises(ValueError, match=message):
        format_table(header, rows, align=align)


def test_format_rows_aligns_values_after_the_longest_key():
    assert format_rows([('config', 'a.py'), ('GFLOPs (MACs)', '34.7'), ('  ViT', '1.00')]) == (
        'config         a.py\n'
        'GFLOPs (MACs)  34.7\n'
        '  ViT          1.00')
    with pytest.raises(ValueError, match='at least one'):
        format_rows([])
