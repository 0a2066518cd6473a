-- ==== type only: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?)) x order by x.rid asc limit 21
-- bindings: ["Patient"]

-- ==== system search over all types: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted) x order by x.rid asc limit 21
-- bindings: []

-- ==== system search over two types with _type: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?, ?) and r.resource_type in (?)) x order by x.rid asc limit 21
-- bindings: ["Patient","Practitioner","Patient"]

-- ==== _id list: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and r.id in (?, ?, ?)) x order by x.rid asc limit 21
-- bindings: ["Patient","a","b","c"]

-- ==== _id empty: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and false) x order by x.rid asc limit 21
-- bindings: ["Patient"]

-- ==== _lastUpdated ge with an open end: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and (r.last_updated >= cast(? as timestamptz) and r.last_updated < cast(? as timestamptz))) x order by x.rid asc limit 21
-- bindings: ["Patient","2020-01-01T00:00:00.000Z","+275760-09-13T00:00:00.000Z"]

-- ==== _lastUpdated before the first representable date: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and (r.last_updated < cast(? as timestamptz))) x order by x.rid asc limit 21
-- bindings: ["Patient","-271821-04-20T00:00:00.000Z"]

-- ==== missing true: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and not exists (select 1 from search_index m1 where m1.rid = r.rid and m1.code = ?)) x order by x.rid asc limit 21
-- bindings: ["Patient","birthdate"]

-- ==== missing false: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index m1 where m1.rid = r.rid and m1.code = ?)) x order by x.rid asc limit 21
-- bindings: ["Patient","birthdate"]

-- ==== string starts with (wildcards escaped): select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and i1.str_norm like ?)) x order by x.rid asc limit 21
-- bindings: ["Patient","family","o\\%\\_\\\\[x%"]

-- ==== string exact: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and i1.str_exact = ?)) x order by x.rid asc limit 21
-- bindings: ["Patient","family","Chalmers"]

-- ==== string contains: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and i1.str_norm like ?)) x order by x.rid asc limit 21
-- bindings: ["Patient","family","%alm%"]

-- ==== token system|code: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and i1.tok_code = ? and i1.tok_system = ?)) x order by x.rid asc limit 21
-- bindings: ["Observation","code","1234-5","http://loinc.org"]

-- ==== token code only: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and i1.tok_code = ?)) x order by x.rid asc limit 21
-- bindings: ["Observation","code","1234-5"]

-- ==== token |code (no system): select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and i1.tok_code = ? and i1.tok_system is null)) x order by x.rid asc limit 21
-- bindings: ["Observation","code","x"]

-- ==== token system| (any code): select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and i1.tok_code is not null and i1.tok_system = ?)) x order by x.rid asc limit 21
-- bindings: ["Observation","code","http://loinc.org"]

-- ==== token :text: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and (i1.tok_text like ? or i1.tok_text like ?))) x order by x.rid asc limit 21
-- bindings: ["Observation","code","glucose%","% glucose%"]

-- ==== date eq: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and (i1.lo >= ? and i1.hi < ?))) x order by x.rid asc limit 21
-- bindings: ["Patient","birthdate",1577836800000,1577923200000]

-- ==== date ne: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and not (i1.lo >= ? and i1.hi < ?))) x order by x.rid asc limit 21
-- bindings: ["Patient","birthdate",1577836800000,1577923200000]

-- ==== date ge: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and (i1.hi >= ?) and i1.lo >= ? - (select coalesce(max(w2.hi - w2.lo), 0) from search_index w2 where w2.resource_type = ? and w2.code = ? and w2.lo is not null))) x order by x.rid asc limit 21
-- bindings: ["Patient","birthdate",1577836800000,1577836800000,"Patient","birthdate"]

-- ==== number: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and (i1.lo >= ? and i1.hi < ?))) x order by x.rid asc limit 21
-- bindings: ["RiskAssessment","probability",0.795,0.805]

-- ==== quantity with system and code: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and (i1.lo >= ? and i1.hi < ?) and i1.q_system = ? and i1.q_code = ?)) x order by x.rid asc limit 21
-- bindings: ["Observation","value-quantity",5.35,5.45,"http://unitsofmeasure.org","mg"]

-- ==== quantity without system: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and (i1.hi >= ?))) x order by x.rid asc limit 21
-- bindings: ["Observation","value-quantity",5.4]

-- ==== reference type/id: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and i1.ref_id = ? and i1.ref_type = ?)) x order by x.rid asc limit 21
-- bindings: ["Observation","subject","p1","Patient"]

-- ==== reference id only: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and i1.ref_id = ?)) x order by x.rid asc limit 21
-- bindings: ["Observation","subject","p1"]

-- ==== reference url: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and i1.ref_url = ?)) x order by x.rid asc limit 21
-- bindings: ["Observation","subject","http://other.org/fhir/Patient/1"]

-- ==== uri eq: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and i1.uri = ?)) x order by x.rid asc limit 21
-- bindings: ["ValueSet","url","http://hl7.org/fhir/ValueSet/x"]

-- ==== uri below: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and i1.uri like ?)) x order by x.rid asc limit 21
-- bindings: ["ValueSet","url","http://hl7.org/fhir/%"]

-- ==== uri above: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and ? like (replace(replace(i1.uri, '%', '\%'), '_', '\_') || '%'))) x order by x.rid asc limit 21
-- bindings: ["ValueSet","url","http://hl7.org/fhir/ValueSet/x/y"]

-- ==== composite token + quantity: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and exists (select 1 from jsonb_array_elements(i1.comp->0) v2 where (v2->>'code') = ? and (v2->>'system') = ?) and exists (select 1 from jsonb_array_elements(i1.comp->1) v3 where (cast(v3->>'value' as numeric) > ?) and (v3->>'code') = ?))) x order by x.rid asc limit 21
-- bindings: ["Observation","code-value-quantity","8480-6","http://loinc.org",140,"mm[Hg]"]

-- ==== composite with a date component: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and exists (select 1 from jsonb_array_elements(i1.comp->0) v2 where (v2->>'code') = ?) and exists (select 1 from jsonb_array_elements(i1.comp->1) v3 where (cast(v3->>'high' as numeric) >= ?)))) x order by x.rid asc limit 21
-- bindings: ["Group","characteristic-value","gender",1577836800000]

-- ==== and / or / not: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and ((exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and i1.str_norm like ?) or exists (select 1 from search_index i2 where i2.rid = r.rid and i2.resource_type = r.resource_type and i2.code = ? and i2.str_norm like ?)) and not exists (select 1 from search_index i3 where i3.rid = r.rid and i3.resource_type = r.resource_type and i3.code = ? and i3.tok_code = ?))) x order by x.rid asc limit 21
-- bindings: ["Patient","family","chal%","family","wind%","gender","male"]

-- ==== and of value tests: joined in one exists (code + date, with the low bound), the rest of the and apart: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and (exists (select 1 from search_index i1 join search_index i2 on i2.rid = i1.rid and i2.resource_type = i1.resource_type and i2.code = ? and (i2.hi >= ? and i2.lo < ?) and i2.lo >= ? - (select coalesce(max(w3.hi - w3.lo), 0) from search_index w3 where w3.resource_type = ? and w3.code = ? and w3.lo is not null) where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and i1.tok_code = ? and i1.tok_system = ?) and exists (select 1 from search_index m4 where m4.rid = r.rid and m4.code = ?))) x order by x.rid asc limit 21
-- bindings: ["Observation","date",1577836800000,1580515200000,1577836800000,"Observation","date","code","8302-2","http://loinc.org","value-quantity"]

-- ==== and of six value tests: four joined, then two: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and (exists (select 1 from search_index i1 join search_index i2 on i2.rid = i1.rid and i2.resource_type = i1.resource_type and i2.code = ? and i2.tok_code = ? join search_index i3 on i3.rid = i1.rid and i3.resource_type = i1.resource_type and i3.code = ? and i3.tok_code = ? join search_index i4 on i4.rid = i1.rid and i4.resource_type = i1.resource_type and i4.code = ? and i4.tok_code = ? where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and i1.tok_code = ?) and exists (select 1 from search_index i5 join search_index i6 on i6.rid = i5.rid and i6.resource_type = i5.resource_type and i6.code = ? and i6.tok_code = ? where i5.rid = r.rid and i5.resource_type = r.resource_type and i5.code = ? and i5.tok_code = ?))) x order by x.rid asc limit 21
-- bindings: ["Patient","tb","b","tc","c","td","d","ta","a","tf","f","te","e"]

-- ==== empty and / empty or: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and (true and not false)) x order by x.rid asc limit 21
-- bindings: ["Patient"]

-- ==== chain: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index c1 join resource t2 on t2.resource_type = c1.ref_type and t2.id = c1.ref_id where c1.rid = r.rid and c1.resource_type = r.resource_type and c1.code = ? and c1.ref_type in (?) and not t2.deleted and exists (select 1 from search_index i3 where i3.rid = t2.rid and i3.resource_type = t2.resource_type and i3.code = ? and i3.str_norm like ?))) x order by x.rid asc limit 21
-- bindings: ["Observation","subject","Patient","family","chal%"]

-- ==== two-level chain over two target types: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index c1 join resource t2 on t2.resource_type = c1.ref_type and t2.id = c1.ref_id where c1.rid = r.rid and c1.resource_type = r.resource_type and c1.code = ? and c1.ref_type in (?, ?) and not t2.deleted and exists (select 1 from search_index c3 join resource t4 on t4.resource_type = c3.ref_type and t4.id = c3.ref_id where c3.rid = t2.rid and c3.resource_type = t2.resource_type and c3.code = ? and c3.ref_type in (?) and not t4.deleted and exists (select 1 from search_index i5 where i5.rid = t4.rid and i5.resource_type = t4.resource_type and i5.code = ? and i5.str_norm like ?)))) x order by x.rid asc limit 21
-- bindings: ["Observation","subject","Patient","Group","organization","Organization","name","acme%"]

-- ==== _has: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index h1 join resource s2 on s2.rid = h1.rid where h1.resource_type = ? and h1.code = ? and h1.ref_id = r.id and h1.ref_type = r.resource_type and not s2.deleted and exists (select 1 from search_index i3 where i3.rid = s2.rid and i3.resource_type = s2.resource_type and i3.code = ? and i3.tok_code = ? and i3.tok_system = ?))) x order by x.rid asc limit 21
-- bindings: ["Patient","Observation","patient","code","1234-5","http://loinc.org"]

-- ==== nested _has: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index h1 join resource s2 on s2.rid = h1.rid where h1.resource_type = ? and h1.code = ? and h1.ref_id = r.id and h1.ref_type = r.resource_type and not s2.deleted and exists (select 1 from search_index h3 join resource s4 on s4.rid = h3.rid where h3.resource_type = ? and h3.code = ? and h3.ref_id = s2.id and h3.ref_type = s2.resource_type and not s4.deleted and exists (select 1 from search_index i5 where i5.rid = s4.rid and i5.resource_type = s4.resource_type and i5.code = ? and i5.tok_code = ?)))) x order by x.rid asc limit 21
-- bindings: ["Patient","Observation","patient","AuditEvent","entity","action","C"]

-- ==== date ge and lt merged into one range test: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and (i1.hi >= ? and i1.lo < ?) and i1.lo >= ? - (select coalesce(max(w2.hi - w2.lo), 0) from search_index w2 where w2.resource_type = ? and w2.code = ? and w2.lo is not null))) x order by x.rid asc limit 21
-- bindings: ["Observation","date",1577836800000,1580515200000,1577836800000,"Observation","date"]

-- ==== sort by string: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, (select min(o1.str_norm) from search_index o1 where o1.rid = r.rid and o1.code = ?) as k0, r.rid from resource r where not r.deleted and r.resource_type in (?)) x order by x.k0 asc nulls last, x.rid asc limit 21
-- bindings: ["family","Patient"]

-- ==== sort by date descending: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, (select max(o1.hi) from search_index o1 where o1.rid = r.rid and o1.code = ?) as k0, r.rid from resource r where not r.deleted and r.resource_type in (?)) x order by x.k0 desc nulls last, x.rid asc limit 21
-- bindings: ["birthdate","Patient"]

-- ==== sort by _id and _lastUpdated: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.id as k0, r.last_updated as k1, r.rid from resource r where not r.deleted and r.resource_type in (?)) x order by x.k0 asc nulls last, x.k1 desc nulls last, x.rid asc limit 21
-- bindings: ["Patient"]

-- ==== sort by reference, token, number, quantity and uri: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, (select min(o1.ref_type || '/' || o1.ref_id) from search_index o1 where o1.rid = r.rid and o1.code = ?) as k0, (select max(o2.tok_code) from search_index o2 where o2.rid = r.rid and o2.code = ?) as k1, (select min(o3.lo) from search_index o3 where o3.rid = r.rid and o3.code = ?) as k2, (select min(o4.lo) from search_index o4 where o4.rid = r.rid and o4.code = ?) as k3, (select min(o5.uri) from search_index o5 where o5.rid = r.rid and o5.code = ?) as k4, r.rid from resource r where not r.deleted and r.resource_type in (?)) x order by x.k0 asc nulls last, x.k1 desc nulls last, x.k2 asc nulls last, x.k3 asc nulls last, x.k4 asc nulls last, x.rid asc limit 21
-- bindings: ["subject","code","n","value-quantity","url","Observation"]

-- ==== keyset after (no sort): select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?)) x where (x.rid > ?) order by x.rid asc limit 21
-- bindings: ["Patient","41"]

-- ==== keyset after with a value: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, (select min(o1.str_norm) from search_index o1 where o1.rid = r.rid and o1.code = ?) as k0, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i2 where i2.rid = r.rid and i2.resource_type = r.resource_type and i2.code = ? and i2.str_norm like ?)) x where ((x.k0 > ? or x.k0 is null) or (x.k0 = ? and (x.rid > ?))) order by x.k0 asc nulls last, x.rid asc limit 21
-- bindings: ["family","Patient","family","c%","chalmers","chalmers","17"]

-- ==== keyset after a null sort value: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, (select max(o1.hi) from search_index o1 where o1.rid = r.rid and o1.code = ?) as k0, r.rid from resource r where not r.deleted and r.resource_type in (?)) x where (false or (x.k0 is null and (x.rid > ?))) order by x.k0 desc nulls last, x.rid asc limit 21
-- bindings: ["birthdate","Patient","17"]

-- ==== keyset before (previous page): select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, (select min(o1.str_norm) from search_index o1 where o1.rid = r.rid and o1.code = ?) as k0, r.last_updated as k1, r.rid from resource r where not r.deleted and r.resource_type in (?)) x where (x.k0 < ? or (x.k0 = ? and (x.k1 > ? or (x.k1 = ? and (x.rid < ?))))) order by x.k0 desc nulls first, x.k1 asc nulls first, x.rid desc limit 21
-- bindings: ["family","Patient","chalmers","chalmers","2020-01-01T00:00:00.000Z","2020-01-01T00:00:00.000Z","17"]

-- ==== keyset before a null sort value: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, (select min(o1.str_norm) from search_index o1 where o1.rid = r.rid and o1.code = ?) as k0, r.rid from resource r where not r.deleted and r.resource_type in (?)) x where (x.k0 is not null or (x.k0 is null and (x.rid < ?))) order by x.k0 desc nulls first, x.rid desc limit 21
-- bindings: ["family","Patient","17"]

-- ==== sort by a single-valued date: probe
select x.* from (select e.*, n.k0, n.rid from (select o1.rid, o1.resource_type, o1.lo as k0 from search_index o1 where o1.resource_type = ? and o1.code = ? and o1.lo is not null order by o1.lo asc, o1.rid asc limit 210) n cross join lateral (select r.resource_type, r.id, r.version_id, r.last_updated, r.content from resource r where r.rid = (select n.rid where exists (select 1 from search_index i2 where i2.rid = n.rid and i2.resource_type = n.resource_type and i2.code = ? and i2.str_norm like ?)) and not r.deleted and r.resource_type = ? offset 0) e) x order by x.k0 asc, x.rid asc limit 21
-- bindings: ["Patient","birthdate","family","c%","Patient"]

-- ==== sort by a single-valued date: select
with p1 as (select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, o1.lo as k0, r.rid from resource r join search_index o1 on o1.rid = r.rid and o1.resource_type = r.resource_type and o1.code = ? and o1.lo is not null where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i2 where i2.rid = r.rid and i2.resource_type = r.resource_type and i2.code = ? and i2.str_norm like ?)) x order by x.k0 asc, x.rid asc limit 21) select y.* from (select * from p1 union all select * from (select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, (select min(o3.lo) from search_index o3 where o3.rid = r.rid and o3.code = ?) as k0, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i4 where i4.rid = r.rid and i4.resource_type = r.resource_type and i4.code = ? and i4.str_norm like ?) and not exists (select 1 from search_index o5 where o5.rid = r.rid and o5.resource_type = r.resource_type and o5.code = ? and o5.lo is not null)) x where (select count(*) from p1) < 21 order by x.rid asc limit 21) p2) y order by y.k0 asc nulls last, y.rid asc limit 21
-- bindings: ["birthdate","Patient","family","c%","birthdate","Patient","family","c%","birthdate"]

-- ==== sort by a single-valued date descending, then a string: select
with p1 as (select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, o1.hi as k0, (select min(o2.str_norm) from search_index o2 where o2.rid = r.rid and o2.code = ?) as k1, r.rid from resource r join search_index o1 on o1.rid = r.rid and o1.resource_type = r.resource_type and o1.code = ? and o1.lo is not null where not r.deleted and r.resource_type in (?)) x order by x.k0 desc, x.k1 asc nulls last, x.rid asc limit 21) select y.* from (select * from p1 union all select * from (select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, (select max(o3.hi) from search_index o3 where o3.rid = r.rid and o3.code = ?) as k0, (select min(o4.str_norm) from search_index o4 where o4.rid = r.rid and o4.code = ?) as k1, r.rid from resource r where not r.deleted and r.resource_type in (?) and not exists (select 1 from search_index o5 where o5.rid = r.rid and o5.resource_type = r.resource_type and o5.code = ? and o5.lo is not null)) x where (select count(*) from p1) < 21 order by x.k1 asc nulls last, x.rid asc limit 21) p2) y order by y.k0 desc nulls last, y.k1 asc nulls last, y.rid asc limit 21
-- bindings: ["family","birthdate","Patient","birthdate","family","Patient","birthdate"]

-- ==== single-valued date: keyset after a value: probe
select x.* from (select e.*, n.k0, n.rid from (select o1.rid, o1.resource_type, o1.hi as k0 from search_index o1 where o1.resource_type = ? and o1.code = ? and o1.lo is not null and (o1.hi <= ? and (o1.hi <> ? or (o1.rid > ?))) order by o1.hi desc, o1.rid asc limit 210) n cross join lateral (select r.resource_type, r.id, r.version_id, r.last_updated, r.content from resource r where r.rid = n.rid and not r.deleted and r.resource_type = ? offset 0) e) x order by x.k0 desc, x.rid asc limit 21
-- bindings: ["Patient","birthdate","1577836800000","1577836800000","17","Patient"]

-- ==== single-valued date: keyset after a value: select
with p1 as (select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, o1.hi as k0, r.rid from resource r join search_index o1 on o1.rid = r.rid and o1.resource_type = r.resource_type and o1.code = ? and o1.lo is not null where not r.deleted and r.resource_type in (?)) x where (x.k0 <= ? and (x.k0 <> ? or (x.rid > ?))) order by x.k0 desc, x.rid asc limit 21) select y.* from (select * from p1 union all select * from (select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, (select max(o2.hi) from search_index o2 where o2.rid = r.rid and o2.code = ?) as k0, r.rid from resource r where not r.deleted and r.resource_type in (?) and not exists (select 1 from search_index o3 where o3.rid = r.rid and o3.resource_type = r.resource_type and o3.code = ? and o3.lo is not null)) x where (select count(*) from p1) < 21 order by x.rid asc limit 21) p2) y order by y.k0 desc nulls last, y.rid asc limit 21
-- bindings: ["birthdate","Patient","1577836800000","1577836800000","17","birthdate","Patient","birthdate"]

-- ==== single-valued date: keyset after a null: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, (select min(o1.lo) from search_index o1 where o1.rid = r.rid and o1.code = ?) as k0, r.rid from resource r where not r.deleted and r.resource_type in (?) and not exists (select 1 from search_index o2 where o2.rid = r.rid and o2.resource_type = r.resource_type and o2.code = ? and o2.lo is not null)) x where (x.rid > ?) order by x.rid asc limit 21
-- bindings: ["birthdate","Patient","birthdate","17"]

-- ==== single-valued date: keyset before a value: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, o1.lo as k0, r.rid from resource r join search_index o1 on o1.rid = r.rid and o1.resource_type = r.resource_type and o1.code = ? and o1.lo is not null where not r.deleted and r.resource_type in (?)) x where (x.k0 <= ? and (x.k0 <> ? or (x.rid < ?))) order by x.k0 desc, x.rid desc limit 21
-- bindings: ["birthdate","Patient","1577836800000","1577836800000","17"]

-- ==== single-valued date: keyset before a null: select
with p1 as (select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, (select max(o1.hi) from search_index o1 where o1.rid = r.rid and o1.code = ?) as k0, (select min(o2.str_norm) from search_index o2 where o2.rid = r.rid and o2.code = ?) as k1, r.rid from resource r where not r.deleted and r.resource_type in (?) and not exists (select 1 from search_index o3 where o3.rid = r.rid and o3.resource_type = r.resource_type and o3.code = ? and o3.lo is not null)) x where (x.k1 < ? or (x.k1 = ? and (x.rid < ?))) order by x.k1 desc nulls first, x.rid desc limit 21) select y.* from (select * from p1 union all select * from (select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, o4.hi as k0, (select min(o5.str_norm) from search_index o5 where o5.rid = r.rid and o5.code = ?) as k1, r.rid from resource r join search_index o4 on o4.rid = r.rid and o4.resource_type = r.resource_type and o4.code = ? and o4.lo is not null where not r.deleted and r.resource_type in (?)) x where (select count(*) from p1) < 21 order by x.k0 asc, x.k1 desc nulls first, x.rid desc limit 21) p2) y order by y.k0 asc nulls first, y.k1 desc nulls first, y.rid desc limit 21
-- bindings: ["birthdate","family","Patient","birthdate","chalmers","chalmers","17","family","birthdate","Patient"]

-- ==== total accurate: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and i1.tok_code = ?)) x order by x.rid asc limit 51
-- bindings: ["Observation","code","1234-5"]

-- ==== total accurate: count
select count(*) as n from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and i1.tok_code = ?)
-- bindings: ["Observation","code","1234-5"]

-- ==== total estimate with _count=0: select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?)) x order by x.rid asc limit 1
-- bindings: ["Observation"]

-- ==== total estimate with _count=0: count
select count(*) as n from resource r where not r.deleted and r.resource_type in (?)
-- bindings: ["Observation"]

-- ==== full text (_content): select
select x.* from (select r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.rid from resource r where not r.deleted and r.resource_type in (?) and exists (select 1 from search_index i1 where i1.rid = r.rid and i1.resource_type = r.resource_type and i1.code = ? and i1.fts @@ plainto_tsquery('simple', ?))) x order by x.rid asc limit 21
-- bindings: ["Condition","_content","chronic bronchitis"]
