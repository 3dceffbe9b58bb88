"""The attention explorer: an interactive, self-contained HTML view of attention weights.

Plot any model's weights::

    from attnlab.report.explorer import write_explorer
    tokens, maps = encoder.attentions("I hate this movie.")      # T strings, L tensors (H, T, T)
    write_explorer("explorer.html", tokens, maps, title="I hate this movie.")

The page has a head view (pick a layer; every head in its own colour; hover, tap or focus a token to
see where it attends or what attends to it; click a head's colour to hide it; step through the heads one
at a time with the previous / next buttons or the arrow keys on them; the coloured tokens: the sentence
shaded by the chosen token's attention), a model view (a grid of all layers × heads; one opens large with
token labels), the weights behind every line and cell,
head-role labels (:func:`head_roles_labels`), long inputs (canvas drawing, scrolling columns, a
minimum weight and top-k lines), and a PNG and SVG export of the current view, titled with the model, the
sentence, the layer and the heads. Layers, heads and token positions are numbered from 1, as the report's
figures number them, and a token that occurs more than once is named with its position (``'the#6'``). An
explorer can open on the view that answers its caption (``layer``, ``heads``, ``token``) with one line
saying so (``answer``, ``answer_zh``), and a step-through of one head for one query token below the views
(``steps``: x → q, k → q·k → ÷√d_k → mask → softmax → ·v with the numbers, one stage at a time;
:mod:`~attnlab.report.explorer.steps`). It uses no third-party code, fetches nothing and works from a
``file://`` URL. Its controls are labelled in English and Chinese (a page whose root has
``data-lang="zh-CN"`` shows the Chinese).

- :func:`explorer_fragment` returns an embeddable ``<div>`` (several per page are fine);
- :func:`explorer_page` / :func:`write_explorer` a complete page with a Content-Security-Policy that
  forbids network access;
- :func:`read_explorer` decodes the data embedded in a page (tokens and weights, to 3 decimals);
- :func:`validate_inputs` is the input check all of them run.
"""

from attnlab.report.explorer.data import ExplorerData, read_explorer, validate_inputs
from attnlab.report.explorer.render import (
    content_security_policy,
    explorer_assets,
    explorer_fragment,
    explorer_page,
    write_explorer,
)
from attnlab.report.explorer.roles import head_role_stats, head_roles_labels

__all__ = [
    "ExplorerData",
    "content_security_policy",
    "explorer_assets",
    "explorer_fragment",
    "explorer_page",
    "head_role_stats",
    "head_roles_labels",
    "read_explorer",
    "validate_inputs",
    "write_explorer",
]
