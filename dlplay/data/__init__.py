"""Data sets that need no network (toy 2D, synthetic digits and shapes) and real ones through torchvision."""

from dlplay.data.digits import DIGIT_CLASSES, make_digits
from dlplay.data.shapes import SHAPE_CLASSES, make_shapes
from dlplay.data.torchvision_sets import IMAGE_DATASETS, ImageData, data_dir, load_image_data
from dlplay.data.toy2d import (
    CLASSIFICATION_SETS,
    REGRESSION_SETS,
    make_classification,
    make_regression,
    train_test_split,
)

__all__ = [
    "CLASSIFICATION_SETS",
    "DIGIT_CLASSES",
    "IMAGE_DATASETS",
    "REGRESSION_SETS",
    "SHAPE_CLASSES",
    "ImageData",
    "data_dir",
    "load_image_data",
    "make_classification",
    "make_digits",
    "make_regression",
    "make_shapes",
    "train_test_split",
]
