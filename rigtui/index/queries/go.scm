; Go: a method's parent is its receiver type.

(method_declaration
  receiver: (parameter_list
    (parameter_declaration
      type: [(type_identifier) @parent (pointer_type (type_identifier) @parent)]))
  name: (field_identifier) @name) @definition.method
(method_declaration name: (field_identifier) @name) @definition.method
(function_declaration name: (identifier) @name) @definition.function
(type_spec name: (type_identifier) @name type: (struct_type)) @definition.struct
(type_spec name: (type_identifier) @name type: (interface_type)) @definition.interface
(type_spec name: (type_identifier) @name) @definition.type
(method_elem name: (field_identifier) @name) @definition.method
(const_spec name: (identifier) @name) @definition.constant
(source_file (var_declaration (var_spec name: (identifier) @name) @definition.variable))

(call_expression function: (identifier) @name) @reference.call
(call_expression function: (selector_expression field: (field_identifier) @name)) @reference.member
(type_identifier) @name @reference.type
(import_spec path: (interpreted_string_literal) @name) @reference.import
