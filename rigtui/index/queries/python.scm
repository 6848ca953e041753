; Python: definitions, calls, type uses and imports.
; Captures: @name plus @definition.KIND or @reference.KIND (and @parent where the scope is explicit).

(class_definition name: (identifier) @name) @definition.class
(function_definition name: (identifier) @name) @definition.function
(module (expression_statement (assignment left: (identifier) @name) @definition.constant))
(module (expression_statement (assignment left: (pattern_list (identifier) @name)) @definition.constant))

(call function: (identifier) @name) @reference.call
(call function: (attribute attribute: (identifier) @name)) @reference.member
(decorator (identifier) @name) @reference.call
(decorator (attribute attribute: (identifier) @name)) @reference.member

(class_definition superclasses: (argument_list (identifier) @name)) @reference.type
(class_definition superclasses: (argument_list (attribute attribute: (identifier) @name))) @reference.type
(type (identifier) @name) @reference.type
(type (attribute attribute: (identifier) @name)) @reference.type
(generic_type (identifier) @name) @reference.type
(type_parameter (type (identifier) @name)) @reference.type

(import_statement name: (dotted_name (identifier) @name)) @reference.import
(import_statement name: (aliased_import name: (dotted_name (identifier) @name))) @reference.import
(import_from_statement module_name: (dotted_name (identifier) @name)) @reference.import
(import_from_statement name: (dotted_name (identifier) @name)) @reference.import
(import_from_statement name: (aliased_import name: (dotted_name (identifier) @name))) @reference.import
