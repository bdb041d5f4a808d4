"""Data sets that need no network (toy 2D, synthetic digits, colour images, shapes with masks, sequences, a text
corpus) and real ones through torchvision."""

from dlplay.data.colour_images import COLOUR_CLASSES, make_colour_images
from dlplay.data.digits import DIGIT_CLASSES, make_digits
from dlplay.data.sequences import make_adding, make_copy_memory, make_sentences, make_series
from dlplay.data.shapes import SHAPE_CLASSES, make_shapes
from dlplay.data.text_corpus import CharVocab, load_corpus
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
    "COLOUR_CLASSES",
    "CharVocab",
    "load_corpus",
    "make_adding",
    "make_colour_images",
    "make_copy_memory",
    "make_sentences",
    "make_series",
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
