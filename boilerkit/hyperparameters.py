"""The parameters of :class:`boilerkit.estimator.BlockClassifier` and their defaults.

They live here, without scikit-learn, so that the command line can list and check
``boilerkit train --set`` values without importing the training stack.
"""

from __future__ import annotations

#: Parameter name -> default, in the order of ``BlockClassifier.__init__``.
DEFAULTS: dict[str, object] = {
    "n_hashed_features": 256,
    "repetition_features": False,
    "link_target_features": False,
    "heading_token_features": 0,
    "link_slug_features": False,
    "link_rel_features": False,
    "max_iter": 100,
    "learning_rate": 0.15,
    "max_leaf_nodes": 31,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
    "class_weight": None,
    "balance_second_stage": True,
    "stacking": False,
    "stacking_folds": 4,
    "group_context": False,
    "random_state": 0,
}
