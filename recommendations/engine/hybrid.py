"""The default model: a blend of the other algorithms, tuned on held-out training data."""

from recommendations.engine.knn import ItemKNN


class Hybrid(ItemKNN):
    """Item-kNN with popularity for users without evidence (blend to come)."""

    name = "hybrid"
