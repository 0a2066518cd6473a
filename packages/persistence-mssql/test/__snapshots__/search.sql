-- ==== type only: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0)) x order by x.rid asc
-- bindings: ["Patient"]

-- ==== system search over all types: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0) x order by x.rid asc
-- bindings: []

-- ==== system search over two types with _type: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0, @p1) and r.resource_type in (@p2)) x order by x.rid asc
-- bindings: ["Patient","Practitioner","Patient"]

-- ==== _id list: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and r.id in (@p1, @p2, @p3)) x order by x.rid asc
-- bindings: ["Patient","a","b","c"]

-- ==== _id empty: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and 1 = 0) x order by x.rid asc
-- bindings: ["Patient"]

-- ==== _lastUpdated ge with an open end: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and (r.last_updated >= convert(datetimeoffset(3), @p1, 127) and r.last_updated < convert(datetimeoffset(3), @p2, 127))) x order by x.rid asc
-- bindings: ["Patient","2020-01-01T00:00:00.000Z","9999-12-31T23:59:59.999Z"]

-- ==== _lastUpdated before the first representable date: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and (r.last_updated < convert(datetimeoffset(3), @p1, 127))) x order by x.rid asc
-- bindings: ["Patient","0001-01-01T00:00:00.000Z"]

-- ==== missing true: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and not exists (select 1 from search_index m1 where m1.rid = r.rid and m1.code = @p1)) x order by x.rid asc
-- bindings: ["Patient","birthdate"]

-- ==== missing false: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index m1 where m1.rid = r.rid and m1.code = @p1)) x order by x.rid asc
-- bindings: ["Patient","birthdate"]

-- ==== string starts with (wildcards escaped): select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p1 and i1.str_norm like @p2 escape '\')) x order by x.rid asc
-- bindings: ["Patient","family","o\\%\\_\\\\\\[x%"]

-- ==== string exact: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p1 and i1.str_exact = @p2)) x order by x.rid asc
-- bindings: ["Patient","family","Chalmers"]

-- ==== string contains: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p1 and i1.str_norm like @p2 escape '\')) x order by x.rid asc
-- bindings: ["Patient","family","%alm%"]

-- ==== token system|code: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p1 and i1.tok_code = @p2 and i1.tok_system = @p3)) x order by x.rid asc
-- bindings: ["Observation","code","1234-5","http://loinc.org"]

-- ==== token code only: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p1 and i1.tok_code = @p2)) x order by x.rid asc
-- bindings: ["Observation","code","1234-5"]

-- ==== token |code (no system): select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p1 and i1.tok_code = @p2 and i1.tok_system is null)) x order by x.rid asc
-- bindings: ["Observation","code","x"]

-- ==== token system| (any code): select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p1 and i1.tok_code is not null and i1.tok_system = @p2)) x order by x.rid asc
-- bindings: ["Observation","code","http://loinc.org"]

-- ==== token :text: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p1 and (i1.tok_text like @p2 escape '\' or i1.tok_text like @p3 escape '\'))) x order by x.rid asc
-- bindings: ["Observation","code","glucose%","% glucose%"]

-- ==== date eq: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p1 and (i1.lo >= @p2 and i1.hi < @p3))) x order by x.rid asc
-- bindings: ["Patient","birthdate",1577836800000,1577923200000]

-- ==== date ne: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p1 and not (i1.lo >= @p2 and i1.hi < @p3))) x order by x.rid asc
-- bindings: ["Patient","birthdate",1577836800000,1577923200000]

-- ==== date ge: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p1 and (i1.hi >= @p2))) x order by x.rid asc
-- bindings: ["Patient","birthdate",1577836800000]

-- ==== number: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p1 and (i1.lo >= @p2 and i1.hi < @p3))) x order by x.rid asc
-- bindings: ["RiskAssessment","probability",0.795,0.805]

-- ==== quantity with system and code: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p1 and (i1.lo >= @p2 and i1.hi < @p3) and i1.q_system = @p4 and i1.q_code = @p5)) x order by x.rid asc
-- bindings: ["Observation","value-quantity",5.35,5.45,"http://unitsofmeasure.org","mg"]

-- ==== quantity without system: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p1 and (i1.hi >= @p2))) x order by x.rid asc
-- bindings: ["Observation","value-quantity",5.4]

-- ==== reference type/id: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p1 and i1.ref_id = @p2 and i1.ref_type = @p3)) x order by x.rid asc
-- bindings: ["Observation","subject","p1","Patient"]

-- ==== reference id only: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p1 and i1.ref_id = @p2)) x order by x.rid asc
-- bindings: ["Observation","subject","p1"]

-- ==== reference url: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p1 and i1.ref_url = @p2)) x order by x.rid asc
-- bindings: ["Observation","subject","http://other.org/fhir/Patient/1"]

-- ==== uri eq: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p1 and i1.uri = @p2)) x order by x.rid asc
-- bindings: ["ValueSet","url","http://hl7.org/fhir/ValueSet/x"]

-- ==== uri below: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p1 and i1.uri like @p2 escape '\')) x order by x.rid asc
-- bindings: ["ValueSet","url","http://hl7.org/fhir/%"]

-- ==== uri above: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p1 and @p2 like (replace(replace(replace(replace(i1.uri, '\', '\\'), '%', '\%'), '_', '\_'), '[', '\[') + '%') escape '\')) x order by x.rid asc
-- bindings: ["ValueSet","url","http://hl7.org/fhir/ValueSet/x/y"]

-- ==== composite token + quantity: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p1 and exists (select 1 from openjson(i1.comp, '$[0]') v2 where (json_value(v2.value, '$.code') collate Latin1_General_100_BIN2) = @p2 and (json_value(v2.value, '$.system') collate Latin1_General_100_BIN2) = @p3) and exists (select 1 from openjson(i1.comp, '$[1]') v3 where (cast(json_value(v3.value, '$.value') as float) > @p4) and (json_value(v3.value, '$.code') collate Latin1_General_100_BIN2) = @p5))) x order by x.rid asc
-- bindings: ["Observation","code-value-quantity","8480-6","http://loinc.org",140,"mm[Hg]"]

-- ==== composite with a date component: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p1 and exists (select 1 from openjson(i1.comp, '$[0]') v2 where (json_value(v2.value, '$.code') collate Latin1_General_100_BIN2) = @p2) and exists (select 1 from openjson(i1.comp, '$[1]') v3 where (cast(json_value(v3.value, '$.high') as float) >= @p3)))) x order by x.rid asc
-- bindings: ["Group","characteristic-value","gender",1577836800000]

-- ==== and / or / not: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and ((exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p1 and i1.str_norm like @p2 escape '\') or exists (select 1 from search_index i2 where i2.rid = r.rid and i2.resource_type = r.resource_type and i2.code = @p3 and i2.str_norm like @p4 escape '\')) and not exists (select 1 from search_index i3 where i3.rid = r.rid and i3.resource_type = r.resource_type and i3.code = @p5 and i3.tok_code = @p6))) x order by x.rid asc
-- bindings: ["Patient","family","chal%","family","wind%","gender","male"]

-- ==== and of value tests: joined in one exists (code + date, with the low bound), the rest of the and apart: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and (exists (select 1 from search_index i1 join search_index i2 on i2.rid = i1.rid and i2.resource_type = i1.resource_type and i2.code = @p1 and (i2.hi >= @p2 and i2.lo < @p3) where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p4 and i1.tok_code = @p5 and i1.tok_system = @p6) and exists (select 1 from search_index m3 where m3.rid = r.rid and m3.code = @p7))) x order by x.rid asc
-- bindings: ["Observation","date",1577836800000,1580515200000,"code","8302-2","http://loinc.org","value-quantity"]

-- ==== and of six value tests: four joined, then two: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and (exists (select 1 from search_index i1 join search_index i2 on i2.rid = i1.rid and i2.resource_type = i1.resource_type and i2.code = @p1 and i2.tok_code = @p2 join search_index i3 on i3.rid = i1.rid and i3.resource_type = i1.resource_type and i3.code = @p3 and i3.tok_code = @p4 join search_index i4 on i4.rid = i1.rid and i4.resource_type = i1.resource_type and i4.code = @p5 and i4.tok_code = @p6 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p7 and i1.tok_code = @p8) and exists (select 1 from search_index i5 join search_index i6 on i6.rid = i5.rid and i6.resource_type = i5.resource_type and i6.code = @p9 and i6.tok_code = @p10 where i5.rid = r.rid and i5.resource_type = r.resource_type and i5.code = @p11 and i5.tok_code = @p12))) x order by x.rid asc
-- bindings: ["Patient","tb","b","tc","c","td","d","ta","a","tf","f","te","e"]

-- ==== empty and / empty or: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and (1 = 1 and not 1 = 0)) x order by x.rid asc
-- bindings: ["Patient"]

-- ==== chain: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index c1 join resource t2 on t2.resource_type = c1.ref_type and t2.id = c1.ref_id where c1.rid = r.rid and c1.resource_type = r.resource_type and c1.code = @p1 and c1.ref_type in (@p2) and t2.deleted = 0 and exists (select 1 from search_index i3 where i3.rid = t2.rid and i3.resource_type = t2.resource_type and i3.code = @p3 and i3.str_norm like @p4 escape '\'))) x order by x.rid asc
-- bindings: ["Observation","subject","Patient","family","chal%"]

-- ==== two-level chain over two target types: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index c1 join resource t2 on t2.resource_type = c1.ref_type and t2.id = c1.ref_id where c1.rid = r.rid and c1.resource_type = r.resource_type and c1.code = @p1 and c1.ref_type in (@p2, @p3) and t2.deleted = 0 and exists (select 1 from search_index c3 join resource t4 on t4.resource_type = c3.ref_type and t4.id = c3.ref_id where c3.rid = t2.rid and c3.resource_type = t2.resource_type and c3.code = @p4 and c3.ref_type in (@p5) and t4.deleted = 0 and exists (select 1 from search_index i5 where i5.rid = t4.rid and i5.resource_type = t4.resource_type and i5.code = @p6 and i5.str_norm like @p7 escape '\')))) x order by x.rid asc
-- bindings: ["Observation","subject","Patient","Group","organization","Organization","name","acme%"]

-- ==== _has: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index h1 join resource s2 on s2.rid = h1.rid where h1.resource_type = @p1 and h1.code = @p2 and h1.ref_id = r.id and h1.ref_type = r.resource_type and s2.deleted = 0 and exists (select 1 from search_index i3 where i3.rid = s2.rid and i3.resource_type = s2.resource_type and i3.code = @p3 and i3.tok_code = @p4 and i3.tok_system = @p5))) x order by x.rid asc
-- bindings: ["Patient","Observation","patient","code","1234-5","http://loinc.org"]

-- ==== nested _has: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index h1 join resource s2 on s2.rid = h1.rid where h1.resource_type = @p1 and h1.code = @p2 and h1.ref_id = r.id and h1.ref_type = r.resource_type and s2.deleted = 0 and exists (select 1 from search_index h3 join resource s4 on s4.rid = h3.rid where h3.resource_type = @p3 and h3.code = @p4 and h3.ref_id = s2.id and h3.ref_type = s2.resource_type and s4.deleted = 0 and exists (select 1 from search_index i5 where i5.rid = s4.rid and i5.resource_type = s4.resource_type and i5.code = @p5 and i5.tok_code = @p6)))) x order by x.rid asc
-- bindings: ["Patient","Observation","patient","AuditEvent","entity","action","C"]

-- ==== date ge and lt merged into one range test: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p1 and (i1.hi >= @p2 and i1.lo < @p3))) x order by x.rid asc
-- bindings: ["Observation","date",1577836800000,1580515200000]

-- ==== sort by string: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, (select min(o1.str_norm) from search_index o1 where o1.rid = r.rid and o1.code = @p0) as k0, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p1)) x order by case when x.k0 is null then 1 else 0 end, x.k0 asc, x.rid asc
-- bindings: ["family","Patient"]

-- ==== sort by date descending: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, (select max(o1.hi) from search_index o1 where o1.rid = r.rid and o1.code = @p0) as k0, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p1)) x order by case when x.k0 is null then 1 else 0 end, x.k0 desc, x.rid asc
-- bindings: ["birthdate","Patient"]

-- ==== sort by _id and _lastUpdated: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.id as k0, r.last_updated as k1, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0)) x order by case when x.k0 is null then 1 else 0 end, x.k0 asc, case when x.k1 is null then 1 else 0 end, x.k1 desc, x.rid asc
-- bindings: ["Patient"]

-- ==== sort by reference, token, number, quantity and uri: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, (select min(o1.ref_type + '/' + o1.ref_id) from search_index o1 where o1.rid = r.rid and o1.code = @p0) as k0, (select max(o2.tok_code) from search_index o2 where o2.rid = r.rid and o2.code = @p1) as k1, (select min(o3.lo) from search_index o3 where o3.rid = r.rid and o3.code = @p2) as k2, (select min(o4.lo) from search_index o4 where o4.rid = r.rid and o4.code = @p3) as k3, (select min(o5.uri) from search_index o5 where o5.rid = r.rid and o5.code = @p4) as k4, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p5)) x order by case when x.k0 is null then 1 else 0 end, x.k0 asc, case when x.k1 is null then 1 else 0 end, x.k1 desc, case when x.k2 is null then 1 else 0 end, x.k2 asc, case when x.k3 is null then 1 else 0 end, x.k3 asc, case when x.k4 is null then 1 else 0 end, x.k4 asc, x.rid asc
-- bindings: ["subject","code","n","value-quantity","url","Observation"]

-- ==== keyset after (no sort): select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0)) x where (x.rid > @p1) order by x.rid asc
-- bindings: ["Patient","41"]

-- ==== keyset after with a value: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, (select min(o1.str_norm) from search_index o1 where o1.rid = r.rid and o1.code = @p0) as k0, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p1) and exists (select 1 from search_index i2 where i2.rid = r.rid and i2.resource_type = r.resource_type and i2.code = @p2 and i2.str_norm like @p3 escape '\')) x where ((x.k0 > @p4 or x.k0 is null) or (x.k0 = @p5 and (x.rid > @p6))) order by case when x.k0 is null then 1 else 0 end, x.k0 asc, x.rid asc
-- bindings: ["family","Patient","family","c%","chalmers","chalmers","17"]

-- ==== keyset after a null sort value: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, (select max(o1.hi) from search_index o1 where o1.rid = r.rid and o1.code = @p0) as k0, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p1)) x where (1 = 0 or (x.k0 is null and (x.rid > @p2))) order by case when x.k0 is null then 1 else 0 end, x.k0 desc, x.rid asc
-- bindings: ["birthdate","Patient","17"]

-- ==== keyset before (previous page): select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, (select min(o1.str_norm) from search_index o1 where o1.rid = r.rid and o1.code = @p0) as k0, r.last_updated as k1, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p1)) x where (x.k0 < @p2 or (x.k0 = @p3 and (x.k1 > @p4 or (x.k1 = @p5 and (x.rid < @p6))))) order by case when x.k0 is null then 0 else 1 end, x.k0 desc, case when x.k1 is null then 0 else 1 end, x.k1 asc, x.rid desc
-- bindings: ["family","Patient","chalmers","chalmers","2020-01-01T00:00:00.000Z","2020-01-01T00:00:00.000Z","17"]

-- ==== keyset before a null sort value: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, (select min(o1.str_norm) from search_index o1 where o1.rid = r.rid and o1.code = @p0) as k0, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p1)) x where (x.k0 is not null or (x.k0 is null and (x.rid < @p2))) order by case when x.k0 is null then 0 else 1 end, x.k0 desc, x.rid desc
-- bindings: ["family","Patient","17"]

-- ==== sort by a single-valued date: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, (select min(o1.lo) from search_index o1 where o1.rid = r.rid and o1.code = @p0) as k0, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p1) and exists (select 1 from search_index i2 where i2.rid = r.rid and i2.resource_type = r.resource_type and i2.code = @p2 and i2.str_norm like @p3 escape '\')) x order by case when x.k0 is null then 1 else 0 end, x.k0 asc, x.rid asc
-- bindings: ["birthdate","Patient","family","c%"]

-- ==== sort by a single-valued date descending, then a string: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, (select max(o1.hi) from search_index o1 where o1.rid = r.rid and o1.code = @p0) as k0, (select min(o2.str_norm) from search_index o2 where o2.rid = r.rid and o2.code = @p1) as k1, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p2)) x order by case when x.k0 is null then 1 else 0 end, x.k0 desc, case when x.k1 is null then 1 else 0 end, x.k1 asc, x.rid asc
-- bindings: ["birthdate","family","Patient"]

-- ==== single-valued date: keyset after a value: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, (select max(o1.hi) from search_index o1 where o1.rid = r.rid and o1.code = @p0) as k0, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p1)) x where ((x.k0 < @p2 or x.k0 is null) or (x.k0 = @p3 and (x.rid > @p4))) order by case when x.k0 is null then 1 else 0 end, x.k0 desc, x.rid asc
-- bindings: ["birthdate","Patient","1577836800000","1577836800000","17"]

-- ==== single-valued date: keyset after a null: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, (select min(o1.lo) from search_index o1 where o1.rid = r.rid and o1.code = @p0) as k0, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p1)) x where (1 = 0 or (x.k0 is null and (x.rid > @p2))) order by case when x.k0 is null then 1 else 0 end, x.k0 asc, x.rid asc
-- bindings: ["birthdate","Patient","17"]

-- ==== single-valued date: keyset before a value: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, (select min(o1.lo) from search_index o1 where o1.rid = r.rid and o1.code = @p0) as k0, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p1)) x where (x.k0 < @p2 or (x.k0 = @p3 and (x.rid < @p4))) order by case when x.k0 is null then 0 else 1 end, x.k0 desc, x.rid desc
-- bindings: ["birthdate","Patient","1577836800000","1577836800000","17"]

-- ==== single-valued date: keyset before a null: select
select top (21) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, (select max(o1.hi) from search_index o1 where o1.rid = r.rid and o1.code = @p0) as k0, (select min(o2.str_norm) from search_index o2 where o2.rid = r.rid and o2.code = @p1) as k1, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p2)) x where (x.k0 is not null or (x.k0 is null and (x.k1 < @p3 or (x.k1 = @p4 and (x.rid < @p5))))) order by case when x.k0 is null then 0 else 1 end, x.k0 asc, case when x.k1 is null then 0 else 1 end, x.k1 desc, x.rid desc
-- bindings: ["birthdate","family","Patient","chalmers","chalmers","17"]

-- ==== total accurate: select
select top (51) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p1 and i1.tok_code = @p2)) x order by x.rid asc
-- bindings: ["Observation","code","1234-5"]

-- ==== total accurate: count
select count(*) as n from resource r where r.deleted = 0 and r.resource_type in (@p0) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = @p1 and i1.tok_code = @p2)
-- bindings: ["Observation","code","1234-5"]

-- ==== total estimate with _count=0: select
select top (1) x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where r.deleted = 0 and r.resource_type in (@p0)) x order by x.rid asc
-- bindings: ["Observation"]

-- ==== total estimate with _count=0: count
select count(*) as n from resource r where r.deleted = 0 and r.resource_type in (@p0)
-- bindings: ["Observation"]
