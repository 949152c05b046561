{#
  The current value of every trait of every group: one row per (group_id, trait_key).
  Cleared traits are kept, with value null and is_null = true.
#}
select
    group_id,
    trait_key,
    original_key,
    value,
    value_text,
    value_type,
    is_null,
    valid_from as updated_at,
    message_id,
    last_written_at,
    change_seq as change_count,
    write_kind
from {{ ref('group_trait_history') }}
where is_current
