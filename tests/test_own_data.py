"""Your own points on the playground: a CSV trains like a built-in set; each malformed file says what is wrong."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dlplay.lessons.fundamentals.own_data import MAX_ROWS, OwnDataError, drawn_points, example_csv, parse_csv
from dlplay.lessons.fundamentals.playground import OWN, PlaygroundConfig, build_run

PAGE = str(Path(__file__).resolve().parent.parent / "chapters" / "nn_fundamentals.py")


def csv(rows: list[str], header: str = "x1,x2,label") -> bytes:
    return ("\n".join([header] + rows) + "\n").encode()


def test_two_classes_are_read_rescaled_and_named():
    own = parse_csv(example_csv(60).encode(), "rings.csv")
    X = np.array(own.X)
    assert own.task == "binary" and own.size == 60 and own.classes == ("inner", "outer")
    assert X.min() == pytest.approx(-5) and X.max() == pytest.approx(5)
    assert set(own.y) == {0.0, 1.0}


def test_regression_targets_land_in_minus_one_one():
    rows = [f"{i},{i % 7},{3 * i - 20}" for i in range(20)]
    own = parse_csv(csv(rows, "x1, x2, y"), "line.csv")  # spaces after commas are fine
    assert own.task == "regression" and max(abs(v) for v in own.y) == pytest.approx(1.0)


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"\xff\xfe\x00\x01binary junk", "not a text file"),
    (csv([f"{i},{i}" for i in range(20)], "a,b"), "needs a header row"),
    (csv([f"{i},{i},{i % 2}" for i in range(5)]), "has 5 rows"),
    (csv([f"{i},{i},{i % 2}" for i in range(MAX_ROWS + 1)]), "rows"),
    (csv([f"{i},abc,{i % 2}" if i == 3 else f"{i},{i},{i % 2}" for i in range(20)]), "not a number on row 5"),
    (csv([f"{i},,{i % 2}" if i == 4 else f"{i},{i},{i % 2}" for i in range(20)]), "empty cell"),
    (csv([f"{i},inf,{i % 2}" if i == 2 else f"{i},{i},{i % 2}" for i in range(20)]), "infinite"),
    (csv([f"{i},{i},{i % 3}" for i in range(20)]), "3 classes"),
    (csv([f"{i},{i},same" for i in range(20)]), "1 classes"),
])
def test_each_malformed_file_gets_its_own_message(data, message):
    with pytest.raises(OwnDataError, match=message):
        parse_csv(data, "bad.csv")


def test_a_drawing_needs_ten_points_of_both_colours():
    with pytest.raises(OwnDataError, match="3 orange and 0 blue"):
        drawn_points([(0.0, 0.0, 0)] * 3)
    own = drawn_points([(i / 4, 0.5, i % 2) for i in range(12)])
    assert own.size == 12 and own.task == "binary"


def test_own_points_train_like_a_built_in_set():
    own = parse_csv(example_csv(100).encode(), "rings.csv")
    run = build_run(PlaygroundConfig(dataset=OWN, own=own, features=("x₁", "x₂", "x₁²", "x₂²"), hidden_sizes=(4,),
                                     optimizer="Adam", lr=0.03))
    assert len(run.X_train) + len(run.X_val) == 100
    run.step(400)
    assert run.latest()["val_acc"] >= 0.9  # two rings: the squared features separate them


def test_the_page_trains_an_uploaded_csv_and_explains_a_bad_one():
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.selectbox(key="nn_data").set_value(OWN).run()
    assert any("Upload a CSV" in i.value for i in at.info)
    assert not [b for b in at.button if b.label.startswith("⏭ Step")]  # nothing to train yet
    at.file_uploader(key="nn_own_upload").upload("bad.csv", csv([f"{i},{i},{i % 3}" for i in range(20)])).run()
    assert any("3 classes" in e.value for e in at.error) and not at.exception
    at.file_uploader(key="nn_own_upload").upload("rings.csv", example_csv(80).encode()).run()
    assert not at.exception, [e.value for e in at.exception]
    run = at.session_state["nn_mlp__run"]
    assert len(run.X_train) + len(run.X_val) == 80
    [b for b in at.button if b.label.startswith("⏭ Step")][0].click().run()
    assert at.session_state["nn_mlp__run"].steps > 0


def test_the_page_trains_points_clicked_onto_the_square():
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.selectbox(key="nn_data").set_value(OWN).run()
    at.radio(key="nn_own_source").set_value("🖱️ clicks on the square").run()
    assert any("Click at least 10 points" in i.value for i in at.info)
    at.session_state["nn_own_points"] = [(x, y, int(x > 0)) for x in (-3.0, -2.0, 2.0, 3.0) for y in (-1.0, 0.0, 1.0)]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.session_state["nn_mlp__run"].X_train) + len(at.session_state["nn_mlp__run"].X_val) == 12
