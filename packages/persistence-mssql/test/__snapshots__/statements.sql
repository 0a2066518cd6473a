-- ==== migration 1, statement 1
create table resource (
      rid bigint identity(1, 1) not null,
      resource_type nvarchar(64) collate Latin1_General_100_BIN2 not null,
      id nvarchar(64) collate Latin1_General_100_BIN2 not null,
      version_id int not null,
      last_updated datetimeoffset(3) not null,
      seq bigint not null,
      deleted bit not null constraint resource_deleted_default default 0,
      content nvarchar(max) null,
      constraint resource_pk primary key clustered (rid)
    );
-- bindings: []

-- ==== migration 1, statement 2
create unique index resource_type_id on resource (resource_type, id) include (deleted);
-- bindings: []

-- ==== migration 1, statement 3
create index resource_type_rid on resource (resource_type, rid) include (deleted);
-- bindings: []

-- ==== migration 1, statement 4
create index resource_type_updated on resource (resource_type, last_updated);
-- bindings: []

-- ==== migration 1, statement 5
create sequence hestia_write_seq as bigint start with 1 increment by 1;
-- bindings: []

-- ==== migration 1, statement 6
create table resource_history (
      resource_type nvarchar(64) collate Latin1_General_100_BIN2 not null,
      id nvarchar(64) collate Latin1_General_100_BIN2 not null,
      version_id int not null,
      rid bigint not null,
      last_updated datetimeoffset(3) not null,
      seq bigint not null,
      deleted bit not null,
      content nvarchar(max) null,
      constraint resource_history_pk primary key nonclustered (resource_type, id, version_id)
    );
-- bindings: []

-- ==== migration 1, statement 7
create unique clustered index resource_history_seq on resource_history (seq);
-- bindings: []

-- ==== migration 1, statement 8
create index resource_history_type_seq on resource_history (resource_type, seq);
-- bindings: []

-- ==== migration 1, statement 9
create table search_index (
      rid bigint not null,
      resource_type nvarchar(64) collate Latin1_General_100_BIN2 not null,
      code nvarchar(100) collate Latin1_General_100_BIN2 not null,
      str_norm nvarchar(700) collate Latin1_General_100_BIN2 null,
      str_exact nvarchar(700) collate Latin1_General_100_BIN2 null,
      tok_system nvarchar(700) collate Latin1_General_100_BIN2 null,
      tok_code nvarchar(700) collate Latin1_General_100_BIN2 null,
      tok_text nvarchar(1000) collate Latin1_General_100_BIN2 null,
      lo float null,
      hi float null,
      q_system nvarchar(700) collate Latin1_General_100_BIN2 null,
      q_code nvarchar(700) collate Latin1_General_100_BIN2 null,
      ref_type nvarchar(64) collate Latin1_General_100_BIN2 null,
      ref_id nvarchar(64) collate Latin1_General_100_BIN2 null,
      ref_url nvarchar(700) collate Latin1_General_100_BIN2 null,
      uri nvarchar(700) collate Latin1_General_100_BIN2 null,
      comp nvarchar(max) null
    );
-- bindings: []

-- ==== migration 1, statement 10
create clustered index search_index_rid on search_index (rid, code);
-- bindings: []

-- ==== migration 1, statement 11
create index search_index_string on search_index (code, str_norm) where str_norm is not null;
-- bindings: []

-- ==== migration 1, statement 12
create index search_index_exact on search_index (code, str_exact) where str_exact is not null;
-- bindings: []

-- ==== migration 1, statement 13
create index search_index_token on search_index (code, tok_code) include (tok_system) where tok_code is not null;
-- bindings: []

-- ==== migration 1, statement 14
create index search_index_range on search_index (code, lo, hi) where lo is not null;
-- bindings: []

-- ==== migration 1, statement 15
create index search_index_reference on search_index (code, ref_id, ref_type) include (resource_type) where ref_id is not null;
-- bindings: []

-- ==== migration 1, statement 16
create index search_index_reverse on search_index (ref_id, ref_type) include (resource_type, code) where ref_id is not null;
-- bindings: []

-- ==== migration 1, statement 17
create index search_index_ref_url on search_index (code, ref_url) where ref_url is not null;
-- bindings: []

-- ==== migration 1, statement 18
create index search_index_uri on search_index (code, uri) where uri is not null;
-- bindings: []

-- ==== migration 2, statement 1
create table hestia_job (
      id nvarchar(64) collate Latin1_General_100_BIN2 not null constraint hestia_job_pk primary key,
      kind nvarchar(64) collate Latin1_General_100_BIN2 not null,
      status nvarchar(16) collate Latin1_General_100_BIN2 not null,
      owner nvarchar(400) collate Latin1_General_100_BIN2 not null,
      created_at nvarchar(32) collate Latin1_General_100_BIN2 not null,
      updated_at nvarchar(32) collate Latin1_General_100_BIN2 not null,
      heartbeat_at nvarchar(32) collate Latin1_General_100_BIN2 null,
      worker nvarchar(200) collate Latin1_General_100_BIN2 null,
      data nvarchar(max) not null,
      version int not null
    );
-- bindings: []

-- ==== migration 2, statement 2
create index hestia_job_kind_status on hestia_job (kind, status, created_at);
-- bindings: []

-- ==== migrate: lock
declare @status int;
exec @status = sp_getapplock @Resource = N'hestia:migrate', @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = 60000;
select @status as status;
-- bindings: []

-- ==== migrate: compatibility
select compatibility_level as level from sys.databases where name = db_name();
-- bindings: []

-- ==== migrate: versionTable
if object_id(N'hestia_schema', N'U') is null
begin
  create table hestia_schema (version int not null constraint hestia_schema_pk primary key, applied_at datetimeoffset(3) not null constraint hestia_schema_applied default sysdatetimeoffset());
end;
-- bindings: []

-- ==== migrate: current
select max(version) as v from hestia_schema;
-- bindings: []

-- ==== migrate: record
insert into hestia_schema (version) values (@p0);
-- bindings: [1]

-- ==== read
select resource_type, id, version_id, last_updated, deleted, content from resource where resource_type = @p0 and id = @p1;
-- bindings: ["Patient","p1"]

-- ==== read for update
select resource_type, id, version_id, last_updated, deleted, content from resource with (updlock, holdlock, rowlock) where resource_type = @p0 and id = @p1;
-- bindings: ["Patient","p1"]

-- ==== readMany
select r.resource_type, r.id, r.version_id, r.last_updated, r.deleted, r.content from openjson(@p0) with (resource_type nvarchar(4000) '$[0]', id nvarchar(4000) '$[1]') k join resource r on r.resource_type = k.resource_type collate Latin1_General_100_BIN2 and r.id = k.id collate Latin1_General_100_BIN2;
-- bindings: ["[[\"Patient\",\"p1\"],[\"Observation\",\"o1\"]]"]

-- ==== vread
select resource_type, id, version_id, last_updated, deleted, content from resource_history where resource_type = @p0 and id = @p1 and version_id = @p2;
-- bindings: ["Patient","p1",2]

-- ==== ping
select 1 as ok;
-- bindings: []

-- ==== write: one create with every kind of index value, outside a transaction
set nocount on;
set xact_abort on;
declare @failed int, @rid bigint;
declare @s0 bigint = next value for hestia_write_seq;
begin transaction;
if @failed is null
begin
  insert into resource (resource_type, id, version_id, last_updated, seq, deleted, content)
  select @p0, @p1, @p2, convert(datetimeoffset(3), @p3, 127), @s0, 0, @p4
  where not exists (select 1 from resource with (updlock, holdlock) where resource_type = @p5 and id = @p6);
  if @@rowcount = 0
  begin
    set @failed = 0;
  end
  else
  begin
    set @rid = scope_identity();
    insert into resource_history (resource_type, id, version_id, rid, last_updated, seq, deleted, content) select resource_type, id, version_id, rid, last_updated, seq, deleted, content from resource where rid = @rid;
    insert into search_index (rid, resource_type, code, str_norm, str_exact, tok_system, tok_code, tok_text, lo, hi, q_system, q_code, ref_type, ref_id, ref_url, uri, comp)
    select r.rid, r.resource_type, j.code, j.str_norm, j.str_exact, j.tok_system, j.tok_code, j.tok_text, j.lo, j.hi, j.q_system, j.q_code, j.ref_type, j.ref_id, j.ref_url, j.uri, j.comp
    from resource r cross apply openjson(@p7) with (code nvarchar(100) '$.code', str_norm nvarchar(700) '$.str_norm', str_exact nvarchar(700) '$.str_exact', tok_system nvarchar(700) '$.tok_system', tok_code nvarchar(700) '$.tok_code', tok_text nvarchar(1000) '$.tok_text', lo float '$.lo', hi float '$.hi', q_system nvarchar(700) '$.q_system', q_code nvarchar(700) '$.q_code', ref_type nvarchar(64) '$.ref_type', ref_id nvarchar(64) '$.ref_id', ref_url nvarchar(700) '$.ref_url', uri nvarchar(700) '$.uri', comp nvarchar(max) '$.comp' as json) j where r.rid = @rid;
  end;
end;
if @failed is null
begin
  commit transaction;
end
else
begin
  rollback transaction;
end;
select @failed as failed;
-- bindings: ["Patient","p1",1,"2024-03-01T10:00:00.000Z","{\"resourceType\":\"Patient\",\"id\":\"p1\"}","Patient","p1","[{\"code\":\"family\",\"str_norm\":\"chalmers\",\"str_exact\":\"Chalmers\"},{\"code\":\"identifier\",\"tok_system\":\"urn:oid:1.2.36.146.595.217.0.1\",\"tok_code\":\"12345\",\"tok_text\":null},{\"code\":\"birthdate\",\"lo\":157161600000,\"hi\":157248000000},{\"code\":\"death-date\",\"lo\":-8640000000000000,\"hi\":8640000000000000},{\"code\":\"general-practitioner\",\"ref_type\":\"Practitioner\",\"ref_id\":\"pr1\",\"ref_url\":null},{\"code\":\"link\",\"ref_type\":null,\"ref_id\":null,\"ref_url\":\"http://other.org/fhir/Patient/9\"},{\"code\":\"_profile\",\"uri\":\"http://hl7.org/fhir/StructureDefinition/Patient\"},{\"code\":\"probability\",\"lo\":0.8,\"hi\":0.8},{\"code\":\"value-quantity\",\"lo\":5.4,\"hi\":5.4,\"q_system\":\"http://unitsofmeasure.org\",\"q_code\":\"mg\"},{\"code\":\"code-value-quantity\",\"comp\":[[{\"type\":\"token\",\"system\":\"http://loinc.org\",\"code\":\"8480-6\",\"text\":null}],[{\"type\":\"quantity\",\"value\":120,\"system\":null,\"code\":\"mm[Hg]\",\"unit\":null}]]}]"]

-- ==== write: update inside a transaction
set nocount on;
set xact_abort on;
declare @failed int, @rid bigint;
declare @s0 bigint = next value for hestia_write_seq;
save transaction hestia_write;
if @failed is null
begin
  update resource set version_id = @p0, last_updated = convert(datetimeoffset(3), @p1, 127), seq = @s0, deleted = 0, content = @p2, @rid = rid
  where resource_type = @p3 and id = @p4 and version_id = @p5;
  if @@rowcount = 0
  begin
    set @failed = 0;
  end
  else
  begin
    insert into resource_history (resource_type, id, version_id, rid, last_updated, seq, deleted, content) select resource_type, id, version_id, rid, last_updated, seq, deleted, content from resource where rid = @rid;
    delete from search_index where rid = @rid;
    insert into search_index (rid, resource_type, code, str_norm, str_exact, tok_system, tok_code, tok_text, lo, hi, q_system, q_code, ref_type, ref_id, ref_url, uri, comp)
    select r.rid, r.resource_type, j.code, j.str_norm, j.str_exact, j.tok_system, j.tok_code, j.tok_text, j.lo, j.hi, j.q_system, j.q_code, j.ref_type, j.ref_id, j.ref_url, j.uri, j.comp
    from resource r cross apply openjson(@p6) with (code nvarchar(100) '$.code', str_norm nvarchar(700) '$.str_norm', str_exact nvarchar(700) '$.str_exact', tok_system nvarchar(700) '$.tok_system', tok_code nvarchar(700) '$.tok_code', tok_text nvarchar(1000) '$.tok_text', lo float '$.lo', hi float '$.hi', q_system nvarchar(700) '$.q_system', q_code nvarchar(700) '$.q_code', ref_type nvarchar(64) '$.ref_type', ref_id nvarchar(64) '$.ref_id', ref_url nvarchar(700) '$.ref_url', uri nvarchar(700) '$.uri', comp nvarchar(max) '$.comp' as json) j where r.rid = @rid;
  end;
end;
if @failed is not null
begin
  rollback transaction hestia_write;
end;
select @failed as failed;
-- bindings: [2,"2024-03-01T10:00:00.000Z","{\"resourceType\":\"Patient\",\"id\":\"p1\"}","Patient","p1",1,"[{\"code\":\"family\",\"str_norm\":\"chalmers\",\"str_exact\":\"Chalmers\"}]"]

-- ==== write: delete outside a transaction
set nocount on;
set xact_abort on;
declare @failed int, @rid bigint;
declare @s0 bigint = next value for hestia_write_seq;
begin transaction;
if @failed is null
begin
  update resource set version_id = @p0, last_updated = convert(datetimeoffset(3), @p1, 127), seq = @s0, deleted = 1, content = @p2, @rid = rid
  where resource_type = @p3 and id = @p4 and version_id = @p5;
  if @@rowcount = 0
  begin
    set @failed = 0;
  end
  else
  begin
    insert into resource_history (resource_type, id, version_id, rid, last_updated, seq, deleted, content) select resource_type, id, version_id, rid, last_updated, seq, deleted, content from resource where rid = @rid;
    delete from search_index where rid = @rid;
  end;
end;
if @failed is null
begin
  commit transaction;
end
else
begin
  rollback transaction;
end;
select @failed as failed;
-- bindings: [3,"2024-03-01T10:00:00.000Z",null,"Patient","p1",2]

-- ==== write: create, update, delete out of key order (locks in key order, sequence in operation order)
set nocount on;
set xact_abort on;
declare @failed int, @rid bigint;
declare @s0 bigint = next value for hestia_write_seq;
declare @s1 bigint = next value for hestia_write_seq;
declare @s2 bigint = next value for hestia_write_seq;
save transaction hestia_write;
if @failed is null
begin
  update resource set version_id = @p0, last_updated = convert(datetimeoffset(3), @p1, 127), seq = @s2, deleted = 1, content = @p2, @rid = rid
  where resource_type = @p3 and id = @p4 and version_id = @p5;
  if @@rowcount = 0
  begin
    set @failed = 2;
  end
  else
  begin
    insert into resource_history (resource_type, id, version_id, rid, last_updated, seq, deleted, content) select resource_type, id, version_id, rid, last_updated, seq, deleted, content from resource where rid = @rid;
    delete from search_index where rid = @rid;
  end;
end;
if @failed is null
begin
  update resource set version_id = @p6, last_updated = convert(datetimeoffset(3), @p7, 127), seq = @s1, deleted = 0, content = @p8, @rid = rid
  where resource_type = @p9 and id = @p10 and version_id = @p11;
  if @@rowcount = 0
  begin
    set @failed = 1;
  end
  else
  begin
    insert into resource_history (resource_type, id, version_id, rid, last_updated, seq, deleted, content) select resource_type, id, version_id, rid, last_updated, seq, deleted, content from resource where rid = @rid;
    delete from search_index where rid = @rid;
  end;
end;
if @failed is null
begin
  insert into resource (resource_type, id, version_id, last_updated, seq, deleted, content)
  select @p12, @p13, @p14, convert(datetimeoffset(3), @p15, 127), @s0, 0, @p16
  where not exists (select 1 from resource with (updlock, holdlock) where resource_type = @p17 and id = @p18);
  if @@rowcount = 0
  begin
    set @failed = 0;
  end
  else
  begin
    set @rid = scope_identity();
    insert into resource_history (resource_type, id, version_id, rid, last_updated, seq, deleted, content) select resource_type, id, version_id, rid, last_updated, seq, deleted, content from resource where rid = @rid;
    insert into search_index (rid, resource_type, code, str_norm, str_exact, tok_system, tok_code, tok_text, lo, hi, q_system, q_code, ref_type, ref_id, ref_url, uri, comp)
    select r.rid, r.resource_type, j.code, j.str_norm, j.str_exact, j.tok_system, j.tok_code, j.tok_text, j.lo, j.hi, j.q_system, j.q_code, j.ref_type, j.ref_id, j.ref_url, j.uri, j.comp
    from resource r cross apply openjson(@p19) with (code nvarchar(100) '$.code', str_norm nvarchar(700) '$.str_norm', str_exact nvarchar(700) '$.str_exact', tok_system nvarchar(700) '$.tok_system', tok_code nvarchar(700) '$.tok_code', tok_text nvarchar(1000) '$.tok_text', lo float '$.lo', hi float '$.hi', q_system nvarchar(700) '$.q_system', q_code nvarchar(700) '$.q_code', ref_type nvarchar(64) '$.ref_type', ref_id nvarchar(64) '$.ref_id', ref_url nvarchar(700) '$.ref_url', uri nvarchar(700) '$.uri', comp nvarchar(max) '$.comp' as json) j where r.rid = @rid;
  end;
end;
if @failed is not null
begin
  rollback transaction hestia_write;
end;
select @failed as failed;
-- bindings: [2,"2024-03-01T10:00:00.000Z",null,"Patient","a",1,4,"2024-03-01T10:00:00.000Z","{\"resourceType\":\"Patient\",\"id\":\"b\"}","Patient","b",3,"Patient","c",1,"2024-03-01T10:00:00.000Z","{\"resourceType\":\"Patient\",\"id\":\"c\"}","Patient","c","[{\"code\":\"family\",\"str_norm\":\"chalmers\",\"str_exact\":\"Chalmers\"},{\"code\":\"identifier\",\"tok_system\":\"urn:oid:1.2.36.146.595.217.0.1\",\"tok_code\":\"12345\",\"tok_text\":null}]"]

-- ==== hardDelete outside a transaction
set nocount on;
set xact_abort on;
begin transaction;
declare @rid bigint;
select @rid = rid from resource with (updlock, holdlock) where resource_type = @p0 and id = @p1;
delete from search_index where rid = @rid;
delete from resource where rid = @rid;
delete from resource_history where resource_type = @p2 and id = @p3;
commit transaction;
select @rid as rid;
-- bindings: ["Patient","p1","Patient","p1"]

-- ==== hardDelete inside a transaction
set nocount on;
set xact_abort on;
declare @rid bigint;
select @rid = rid from resource with (updlock, holdlock) where resource_type = @p0 and id = @p1;
delete from search_index where rid = @rid;
delete from resource where rid = @rid;
delete from resource_history where resource_type = @p2 and id = @p3;
select @rid as rid;
-- bindings: ["Patient","p1","Patient","p1"]

-- ==== history: system
select top (11) resource_type, id, version_id, last_updated, deleted, content, seq from resource_history order by seq desc;
-- bindings: []

-- ==== history: type, _since, next page
select top (11) resource_type, id, version_id, last_updated, deleted, content, seq from resource_history where resource_type = @p0 and last_updated >= convert(datetimeoffset(3), @p1, 127) and seq < @p2 order by seq desc;
-- bindings: ["Patient","2024-01-01T00:00:00Z","1234"]

-- ==== history: instance, _at
select top (6) resource_type, id, version_id, last_updated, deleted, content, seq from resource_history where resource_type = @p0 and id = @p1 and last_updated <= convert(datetimeoffset(3), @p2, 127) order by seq desc;
-- bindings: ["Patient","p1","2024-01-01T00:00:00+02:00"]

-- ==== replaceIndex: two resources, all parameters
set nocount on;
set xact_abort on;
begin transaction;
declare @rid bigint;
set @rid = null;
select @rid = rid from resource where resource_type = @p0 and id = @p1 and deleted = 0;
if @rid is not null
begin
  delete from search_index where rid = @rid;
  insert into search_index (rid, resource_type, code, str_norm, str_exact, tok_system, tok_code, tok_text, lo, hi, q_system, q_code, ref_type, ref_id, ref_url, uri, comp)
  select r.rid, r.resource_type, j.code, j.str_norm, j.str_exact, j.tok_system, j.tok_code, j.tok_text, j.lo, j.hi, j.q_system, j.q_code, j.ref_type, j.ref_id, j.ref_url, j.uri, j.comp
  from resource r cross apply openjson(@p2) with (code nvarchar(100) '$.code', str_norm nvarchar(700) '$.str_norm', str_exact nvarchar(700) '$.str_exact', tok_system nvarchar(700) '$.tok_system', tok_code nvarchar(700) '$.tok_code', tok_text nvarchar(1000) '$.tok_text', lo float '$.lo', hi float '$.hi', q_system nvarchar(700) '$.q_system', q_code nvarchar(700) '$.q_code', ref_type nvarchar(64) '$.ref_type', ref_id nvarchar(64) '$.ref_id', ref_url nvarchar(700) '$.ref_url', uri nvarchar(700) '$.uri', comp nvarchar(max) '$.comp' as json) j where r.rid = @rid;
end;
set @rid = null;
select @rid = rid from resource where resource_type = @p3 and id = @p4 and deleted = 0;
if @rid is not null
begin
  delete from search_index where rid = @rid;
end;
commit transaction;
-- bindings: ["Patient","p1","[{\"code\":\"family\",\"str_norm\":\"chalmers\",\"str_exact\":\"Chalmers\"},{\"code\":\"identifier\",\"tok_system\":\"urn:oid:1.2.36.146.595.217.0.1\",\"tok_code\":\"12345\",\"tok_text\":null},{\"code\":\"birthdate\",\"lo\":157161600000,\"hi\":157248000000},{\"code\":\"death-date\",\"lo\":-8640000000000000,\"hi\":8640000000000000},{\"code\":\"general-practitioner\",\"ref_type\":\"Practitioner\",\"ref_id\":\"pr1\",\"ref_url\":null},{\"code\":\"link\",\"ref_type\":null,\"ref_id\":null,\"ref_url\":\"http://other.org/fhir/Patient/9\"},{\"code\":\"_profile\",\"uri\":\"http://hl7.org/fhir/StructureDefinition/Patient\"},{\"code\":\"probability\",\"lo\":0.8,\"hi\":0.8},{\"code\":\"value-quantity\",\"lo\":5.4,\"hi\":5.4,\"q_system\":\"http://unitsofmeasure.org\",\"q_code\":\"mg\"},{\"code\":\"code-value-quantity\",\"comp\":[[{\"type\":\"token\",\"system\":\"http://loinc.org\",\"code\":\"8480-6\",\"text\":null}],[{\"type\":\"quantity\",\"value\":120,\"system\":null,\"code\":\"mm[Hg]\",\"unit\":null}]]}]","Patient","p2"]

-- ==== replaceIndex: some parameters, inside a transaction
set nocount on;
set xact_abort on;
declare @rid bigint;
set @rid = null;
select @rid = rid from resource where resource_type = @p0 and id = @p1 and deleted = 0;
if @rid is not null
begin
  delete from search_index where rid = @rid and code in (@p2, @p3);
  insert into search_index (rid, resource_type, code, str_norm, str_exact, tok_system, tok_code, tok_text, lo, hi, q_system, q_code, ref_type, ref_id, ref_url, uri, comp)
  select r.rid, r.resource_type, j.code, j.str_norm, j.str_exact, j.tok_system, j.tok_code, j.tok_text, j.lo, j.hi, j.q_system, j.q_code, j.ref_type, j.ref_id, j.ref_url, j.uri, j.comp
  from resource r cross apply openjson(@p4) with (code nvarchar(100) '$.code', str_norm nvarchar(700) '$.str_norm', str_exact nvarchar(700) '$.str_exact', tok_system nvarchar(700) '$.tok_system', tok_code nvarchar(700) '$.tok_code', tok_text nvarchar(1000) '$.tok_text', lo float '$.lo', hi float '$.hi', q_system nvarchar(700) '$.q_system', q_code nvarchar(700) '$.q_code', ref_type nvarchar(64) '$.ref_type', ref_id nvarchar(64) '$.ref_id', ref_url nvarchar(700) '$.ref_url', uri nvarchar(700) '$.uri', comp nvarchar(max) '$.comp' as json) j where r.rid = @rid;
end;
-- bindings: ["Patient","p1","family","given","[{\"code\":\"family\",\"str_norm\":\"chalmers\",\"str_exact\":\"Chalmers\"}]"]

-- ==== lock
declare @status int;
exec @status = sp_getapplock @Resource = @p0, @LockMode = N'Exclusive', @LockOwner = N'Transaction';
select @status as status;
-- bindings: ["hestia:3ed2d29248ef5c784b74824c4dbf79e58319a95925e4b323053307d750301ef2"]
