; JavaScript only (TypeScript wraps heritage in extends_clause).

(class_heritage (identifier) @name) @reference.type
