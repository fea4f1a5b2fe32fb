"""The names and name patterns the ML203-ML206 checkers and their text prefilters share.

One list each: the checkers (mlvet.rules.smells) judge parsed code by them, the
prefilters (mlvet.rules.ml2_gates_smells) judge raw text by them.
"""

from __future__ import annotations

import re

OPTIMIZER_CLASSES = frozenset(
    {
        "SGD",
        "Adam",
        "AdamW",
        "Adamax",
        "Adagrad",
        "Adadelta",
        "RMSprop",
        "Rprop",
        "NAdam",
        "RAdam",
        "LBFGS",
        "SparseAdam",
        "ASGD",
        "Adafactor",
        "Lion",
        "LAMB",
        "Lamb",
        "AdamW8bit",
        "Adam8bit",
        "PagedAdamW",
        "FusedAdam",
        "Muon",
    }
)

FITTED_TRANSFORMERS = frozenset(
    {
        "StandardScaler",
        "MinMaxScaler",
        "MaxAbsScaler",
        "RobustScaler",
        "Normalizer",
        "QuantileTransformer",
        "PowerTransformer",
        "KBinsDiscretizer",
        "SimpleImputer",
        "KNNImputer",
        "IterativeImputer",
        "OneHotEncoder",
        "OrdinalEncoder",
        "TargetEncoder",
        "PCA",
        "TruncatedSVD",
        "KernelPCA",
        "IncrementalPCA",
        "FastICA",
        "NMF",
        "SelectKBest",
        "SelectPercentile",
        "SelectFromModel",
        "SelectFpr",
        "SelectFdr",
        "SelectFwe",
        "GenericUnivariateSelect",
        "RFE",
        "RFECV",
        "VarianceThreshold",
        "SequentialFeatureSelector",
        "TfidfVectorizer",
        "CountVectorizer",
        "TfidfTransformer",
        "ColumnTransformer",
    }
)

TRANSFORMER_FACTORIES = frozenset({"make_column_transformer"})

SPLITTERS = frozenset({"train_test_split"})

CV_FUNCTIONS: dict[str, int] = {  # name -> position of X
    "cross_val_score": 1,
    "cross_validate": 1,
    "cross_val_predict": 1,
    "learning_curve": 1,
    "validation_curve": 1,
    "permutation_test_score": 1,
}

SEARCHERS = frozenset(
    {"GridSearchCV", "RandomizedSearchCV", "HalvingGridSearchCV", "HalvingRandomSearchCV"}
)

CV_SPLITTERS = frozenset(
    {
        "KFold",
        "StratifiedKFold",
        "GroupKFold",
        "StratifiedGroupKFold",
        "RepeatedKFold",
        "RepeatedStratifiedKFold",
        "ShuffleSplit",
        "StratifiedShuffleSplit",
        "GroupShuffleSplit",
        "LeaveOneOut",
        "LeavePOut",
        "LeaveOneGroupOut",
        "LeavePGroupsOut",
        "TimeSeriesSplit",
        "PredefinedSplit",
    }
)

# Functions that evaluate: evaluate(), validate_epoch(), run_inference(), model_eval(),
# test() / test_epoch() (but not pytest's test_something()).
EVAL_FUNC = re.compile(
    r"^_*(?:eval|evaluate|evaluation|validate|validation|valid|val|predict"
    r"|prediction|inference|infer|run_eval|run_test|run_validation|run_inference)(?:_|$)"
    r"|_(?:eval|evaluate|evaluation|validate|validation|predict|prediction|inference|infer)$"
    r"|^_*test(?:ing|_epoch|_loop|_model|_one_epoch)?$"
)

HOOK_FUNC = re.compile(r"_step$|^on_|_epoch_end$|_end$|_start$")

MODEL_NAME = re.compile(
    r"^(?:net|network|classifier|encoder|decoder|backbone|generator|discriminator|netG|netD"
    r"|policy|critic|actor|teacher|student|module)$|model$|_net$",
    re.IGNORECASE,
)

# Base-class name endings of torch modules (nn.Module, LightningModule, PreTrainedModel,
# diffusers' ModelMixin, ...).
MODULE_BASES = ("Module", "Model", "ModelMixin", "Sequential", "ModuleDict", "ModuleList")

MODULE_FACTORIES = (
    "torch.nn.",
    "torchvision.models.",
    "timm.create_model",
    "torch.hub.load",
    "torch.compile",
    "segmentation_models_pytorch.",
)

FACTORY_NAME = re.compile(
    r"^(?:get|build|load|create|make|init|setup|prepare|wrap|save|export|compile|train|run)_"
)

FRAME_NAME = re.compile(
    r"^(?:df|dataframe|frame)\w*$|_(?:df|frame|dataframe)$|^df\d*$", re.IGNORECASE
)
