using Google.Protobuf;

namespace ActorGrid.Runtime.Tests.Inference.Onnx;

// The handful of ONNX protobuf messages a model file needs, written by hand with Google.Protobuf's
// CodedOutputStream from the field numbers in onnx/onnx.proto (ModelProto, GraphProto, NodeProto,
// AttributeProto, TensorProto, ValueInfoProto, TypeProto, TensorShapeProto, OperatorSetIdProto).
// No code generation: the test suite must not need protoc or download anything.
public static class OnnxProto
{
    // TensorProto.DataType
    public const int Float = 1;
    public const int Int32 = 6;
    public const int Int64 = 7;
    public const int Double = 11;

    // AttributeProto.AttributeType
    private const int AttrFloat = 1;
    private const int AttrInt = 2;
    private const int AttrInts = 7;

    public sealed record Attr(string Name, long? Int = null, float? Float = null, long[]? Ints = null);

    public sealed record OpNode(string OpType, string[] Inputs, string[] Outputs, params Attr[] Attributes);

    // A dimension is a fixed size (>= 0) or a symbolic name (dynamic).
    public sealed record Dim(long Value = -1, string? Param = null);

    public sealed record ValueInfo(string Name, int ElemType, Dim[] Shape);

    public sealed record Initializer(string Name, long[] Dims, float[] Data);

    public static byte[] Model(IEnumerable<OpNode> nodes, IEnumerable<Initializer> initializers, IEnumerable<ValueInfo> inputs, IEnumerable<ValueInfo> outputs, long irVersion = 8, long opset = 13) =>
        Message(o =>
        {
            o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(irVersion);          // ir_version
            o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString("actorgrid-tests"); // producer_name
            o.WriteTag(7, WireFormat.WireType.LengthDelimited);                            // graph
            o.WriteBytes(ByteString.CopyFrom(Graph(nodes, initializers, inputs, outputs)));
            o.WriteTag(8, WireFormat.WireType.LengthDelimited);                            // opset_import
            o.WriteBytes(ByteString.CopyFrom(Message(s =>
            {
                s.WriteTag(1, WireFormat.WireType.LengthDelimited); s.WriteString("");      // domain (ai.onnx)
                s.WriteTag(2, WireFormat.WireType.Varint); s.WriteInt64(opset);            // version
            })));
        });

    private static byte[] Graph(IEnumerable<OpNode> nodes, IEnumerable<Initializer> initializers, IEnumerable<ValueInfo> inputs, IEnumerable<ValueInfo> outputs) =>
        Message(o =>
        {
            var i = 0;
            foreach (var node in nodes) WriteMessage(o, 1, NodeBytes(node, $"n{i++}"));   // node
            o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString("g");         // name
            foreach (var init in initializers) WriteMessage(o, 5, TensorBytes(init));     // initializer
            foreach (var input in inputs) WriteMessage(o, 11, ValueInfoBytes(input));     // input
            foreach (var output in outputs) WriteMessage(o, 12, ValueInfoBytes(output));  // output
        });

    private static byte[] NodeBytes(OpNode node, string name) => Message(o =>
    {
        foreach (var input in node.Inputs) { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(input); }
        foreach (var output in node.Outputs) { o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString(output); }
        o.WriteTag(3, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        o.WriteTag(4, WireFormat.WireType.LengthDelimited); o.WriteString(node.OpType);
        foreach (var attr in node.Attributes) WriteMessage(o, 5, AttributeBytes(attr));
    });

    private static byte[] AttributeBytes(Attr a) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(a.Name);
        if (a.Float is { } f) { o.WriteTag(2, WireFormat.WireType.Fixed32); o.WriteFloat(f); }
        if (a.Int is { } i) { o.WriteTag(3, WireFormat.WireType.Varint); o.WriteInt64(i); }
        if (a.Ints is { } ints)
            foreach (var v in ints) { o.WriteTag(8, WireFormat.WireType.Varint); o.WriteInt64(v); }
        o.WriteTag(20, WireFormat.WireType.Varint);
        o.WriteInt32(a.Ints is not null ? AttrInts : a.Float is not null ? AttrFloat : AttrInt);
    });

    private static byte[] TensorBytes(Initializer t) => Message(o =>
    {
        foreach (var d in t.Dims) { o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(d); } // dims
        o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt32(Float);                        // data_type
        o.WriteTag(8, WireFormat.WireType.LengthDelimited); o.WriteString(t.Name);             // name
        var raw = new byte[t.Data.Length * 4];
        Buffer.BlockCopy(t.Data, 0, raw, 0, raw.Length); // little-endian, as raw_data requires
        o.WriteTag(9, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(raw)); // raw_data
    });

    private static byte[] ValueInfoBytes(ValueInfo v) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(v.Name);
        var shape = Message(s =>
        {
            foreach (var dim in v.Shape)
                WriteMessage(s, 1, Message(d =>
                {
                    if (dim.Param is { } p) { d.WriteTag(2, WireFormat.WireType.LengthDelimited); d.WriteString(p); }
                    else { d.WriteTag(1, WireFormat.WireType.Varint); d.WriteInt64(dim.Value); }
                }));
        });
        var tensorType = Message(t =>
        {
            t.WriteTag(1, WireFormat.WireType.Varint); t.WriteInt32(v.ElemType); // elem_type
            WriteMessage(t, 2, shape);                                          // shape
        });
        WriteMessage(o, 2, Message(t => WriteMessage(t, 1, tensorType)));       // type.tensor_type
    });

    private static void WriteMessage(CodedOutputStream o, int field, byte[] bytes)
    {
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(bytes));
    }

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        write(output);
        output.Flush();
        return buffer.ToArray();
    }
}
