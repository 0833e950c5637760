"""One reader per carrier: bytes in, a `Document` of paragraphs and table grids out."""
