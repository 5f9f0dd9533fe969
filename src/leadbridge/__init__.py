"""leadbridge: Avito partner buyout requests ⇄ amoCRM deals."""
