"""Point (centroid) annotations to fixed-size boxes: hand-computed boxes at
the centre, the borders and the corners, the zero-area error, and the rows
of a point file."""
import pytest

from plb_mm.datasets.converters import PointFormatError, point_to_box, read_point_rows


@pytest.mark.parametrize('point, box', [
    ((50, 40), (34, 24, 66, 56)),      # inside: 50 -+ 16, 40 -+ 16
    ((5, 70), (0, 54, 21, 80)),        # left: -11 -> 0; bottom: 86 -> 80
    ((95, 3), (79, 0, 100, 19)),       # right: 111 -> 100; top: -13 -> 0
    ((0, 0), (0, 0, 16, 16)),          # on the corner: a quarter of the box
    ((100, 80), (84, 64, 100, 80)),    # on the far corner
    ((-10, 40), (0, 24, 6, 56)),       # 10 px outside: 6 px of the box remain
    ((50.5, 40.25), (34.5, 24.25, 66.5, 56.25)),  # sub-pixel points are kept as given
])
def test_point_to_box_clipped_to_a_100x80_image(point, box):
    assert point_to_box(*point, 100, 80) == box


def test_box_size_and_types():
    assert point_to_box(50, 40, 100, 80, box_size=10) == (45., 35., 55., 45.)
    assert point_to_box(3, 3, 100, 80, box_size=10) == (0., 0., 8., 8.)
    assert all(isinstance(v, float) for v in point_to_box(99, 79, 100, 80))
    with pytest.raises(PointFormatError, match='box size must be > 0'):
        point_to_box(50, 40, 100, 80, box_size=0)


@pytest.mark.parametrize('point', [(-16, 40), (116, 40), (50, -20), (50, 96.5)])
def test_box_clipped_to_zero_area_is_an_error_naming_the_record(point):
    with pytest.raises(PointFormatError) as e:
        point_to_box(*point, 100, 80, where='cells/a.csv: line 7')
    msg = str(e.value)
    assert msg.startswith('cells/a.csv: line 7: point (') and 'zero area' in msg
    assert '100x80 image' in msg


def test_point_rows(tmp_path):
    f = tmp_path / 'a.csv'
    f.write_text('\ufeffx,y,class\n12,30.5,tumor\n\n 7 , 8 ,other\n')
    rows = read_point_rows(str(f), 2, 3, 'x,y[,class]')
    assert rows == [(2, 12., 30.5, ('tumor', )), (4, 7., 8., ('other', ))]
    g = tmp_path / 'b.txt'
    g.write_text('1 2\n3.5 4\n')  # whitespace-separated, no header
    assert [(r.line, r.x, r.y, r.extra) for r in read_point_rows(str(g))] == [
        (1, 1., 2., ()), (2, 3.5, 4., ())]
    (tmp_path / 'c.csv').write_text('\n\n')
    assert read_point_rows(str(tmp_path / 'c.csv')) == []  # an image without cells


@pytest.mark.parametrize('text, line, match', [
    ('1,2\n3;4\n', 2, r"1 field\(s\), expected 2 \(x,y\): '3;4'"),
    ('1,2\n\n3,4,5\n', 3, r'3 field\(s\), expected 2'),
    ('x,y\nabc,4\n', 2, "x is not a number: 'abc'"),
    ('1,nan\n', 1, "y is not finite: 'nan'"),
    ('1,2\nx,y\n', 2, 'x is not a number'),  # a header only on the first row
])
def test_malformed_rows_name_the_file_and_line(tmp_path, text, line, match):
    f = tmp_path / 'p.csv'
    f.write_text(text)
    with pytest.raises(PointFormatError, match=f'{f}: line {line}: {match}'):
        read_point_rows(str(f))


def test_binary_file_is_named(tmp_path):
    f = tmp_path / 'p.csv'
    f.write_bytes(b'\x89PNG\r\n\x1a\n\xff\xfe')
    with pytest.raises(PointFormatError, match=f'{f}: not a UTF-8 text file'):
        read_point_rows(str(f))
